package io.crosstrain.worker.messaging;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.Heartbeat;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.Topics;
import io.crosstrain.training.ExecutionMode;
import io.crosstrain.worker.config.WorkerProperties;
import io.crosstrain.worker.domain.Calibration;
import tools.jackson.databind.json.JsonMapper;

/**
 * Heartbeats for each device of the node. They start only once the CPU calibration is done, so a device the
 * inventory reports HEALTHY is ready to be planned.
 */
@Component
class HeartbeatPublisher {

    private static final Logger log = LoggerFactory.getLogger(HeartbeatPublisher.class);

    private final WorkerProperties props;
    private final KafkaTemplate<String, String> kafka;
    private final JsonMapper mapper;
    private final AtomicReference<Calibration> calibration = new AtomicReference<>();
    private volatile String mode = Plan.EMULATED;
    static final int CALIBRATIONS = 3;
    static final long CALIBRATION_PAUSE_MS = 10_000;

    HeartbeatPublisher(WorkerProperties props, KafkaTemplate<String, String> kafka, JsonMapper mapper) {
        this.props = props;
        this.kafka = kafka;
        this.mapper = mapper;
    }

    /**
     * Measures at start-up, then twice more as the host settles, and keeps the fastest: a measurement taken while
     * every other service is still starting overstates the cost of a sample several times over.
     */
    @EventListener(ApplicationReadyEvent.class)
    void calibrate() {
        Thread t = new Thread(() -> {
            // the device the trainers compute on, not whether the host has a GPU
            mode = ExecutionMode.current();
            for (int i = 0; i < CALIBRATIONS; i++) {
                Calibration c = Calibration.measure();
                Calibration best = calibration.accumulateAndGet(c,
                        (old, now) -> old == null || now.cpuFlopsPerSec() > old.cpuFlopsPerSec() ? now : old);
                log.info("node {}: {} mode, calibration {} measured {} GFLOP/s per CPU thread (best {}) on {} cores",
                        props.nodeId(), mode, i + 1, String.format("%.2f", c.cpuFlopsPerSec() / 1e9),
                        String.format("%.2f", best.cpuFlopsPerSec() / 1e9), c.hostCores());
                if (i == 0) {
                    beat();
                }
                try {
                    Thread.sleep(CALIBRATION_PAUSE_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }, "calibration");
        t.setDaemon(true);
        t.start();
    }

    @Scheduled(fixedDelayString = "${crosstrain.worker.heartbeat-interval:2s}")
    void beat() {
        Calibration c = calibration.get();
        if (c == null) {
            return;
        }
        for (WorkerProperties.Device d : props.parsedDevices()) {
            Heartbeat hb = new Heartbeat(d.id(), props.nodeId(), props.datacenter(), d.chip(), mode,
                    c.cpuFlopsPerSec(), c.hostCores(), Instant.now());
            kafka.send(Topics.DEVICE_HEARTBEATS, d.id(), mapper.writeValueAsString(hb));
        }
    }

    Calibration calibration() {
        return calibration.get();
    }
}
