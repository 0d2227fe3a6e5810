package io.crosstrain.scheduler.messaging;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.scheduler.client.InventoryClient;
import io.crosstrain.scheduler.config.SchedulerProperties;
import io.crosstrain.scheduler.domain.Activity;
import io.crosstrain.scheduler.domain.InventoryDevice;
import io.crosstrain.scheduler.domain.OrphanRule;
import io.crosstrain.scheduler.persistence.ResumeStore;
import tools.jackson.databind.json.JsonMapper;

/**
 * Finds orphaned jobs ({@link OrphanRule}) and suspends them, so admission resumes them from their latest checkpoint
 * on the same (free, healthy) devices. The first check, shortly after start-up, first reads back the step metrics of
 * the last {@code orphan-after}: a scheduler restarted with the rest of the stack then knows at once which jobs ran
 * lately, and one restarted alone does not take a running job for an orphan.
 */
@Component
class OrphanCheck {

    private static final Logger log = LoggerFactory.getLogger(OrphanCheck.class);

    private final ResumeStore resumes;
    private final InventoryClient inventory;
    private final Replanning replanning;
    private final Activity activity;
    private final OrphanRule rule;
    private final SchedulerProperties props;
    private final KafkaConnectionDetails kafka;
    private final JsonMapper json;
    private boolean seeded;

    OrphanCheck(ResumeStore resumes, InventoryClient inventory, Replanning replanning, Activity activity,
                OrphanRule rule, SchedulerProperties props, KafkaConnectionDetails kafka, JsonMapper json) {
        this.resumes = resumes;
        this.inventory = inventory;
        this.replanning = replanning;
        this.activity = activity;
        this.rule = rule;
        this.props = props;
        this.kafka = kafka;
        this.json = json;
    }

    @Scheduled(initialDelayString = "${crosstrain.scheduler.orphan-initial-delay-ms:20000}",
            fixedDelayString = "${crosstrain.scheduler.orphan-check-interval-ms:5000}")
    void check() {
        if (!seeded) {
            seeded = true;
            seed();
        }
        Instant now = activity.clock().instant();
        Map<String, InventoryDevice> byId = null;
        for (ResumeStore.Watched w : resumes.watched()) {
            Optional<OrphanRule.Verdict> verdict = rule.check(w.plan(), w.createdAt(), activity, now);
            if (verdict.isEmpty()) {
                continue;
            }
            if (byId == null) {
                try {
                    byId = inventory.devices().stream()
                            .collect(Collectors.toMap(InventoryDevice::id, Function.identity(), (a, b) -> a));
                } catch (InventoryClient.InventoryUnavailableException e) {
                    log.warn("cannot confirm orphaned jobs: {}", e.getMessage());
                    return; // the next check tries again
                }
            }
            Map<String, InventoryDevice> known = byId;
            boolean healthy = w.plan().devices().stream().map(PlanDevice::deviceId)
                    .allMatch(id -> known.containsKey(id) && known.get(id).healthy());
            if (healthy) {
                replanning.suspendOrphaned(w.plan(), verdict.get().reason(), verdict.get().autoResume());
            }
        }
    }

    /** Every job's newest step metric of the last {@code orphan-after}, read straight from the topic. */
    void seed() {
        Instant since = activity.clock().instant().minus(props.orphanAfter());
        Duration timeout = Duration.ofSeconds(10);
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",",
                kafka.getConsumer().getBootstrapServers()));
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "scheduler-orphan-seed");
        int read = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(Topics.STEP_METRICS, timeout).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            Map<TopicPartition, OffsetAndTimestamp> from = consumer.offsetsForTimes(parts.stream()
                    .collect(Collectors.toMap(p -> p, p -> since.toEpochMilli())), timeout);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, timeout);
            for (TopicPartition p : parts) {
                OffsetAndTimestamp o = from.get(p);
                consumer.seek(p, o == null ? end.get(p) : o.offset());
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("step metrics not read within " + timeout);
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    StepMetric m = metricOrNull(r.value());
                    if (m != null && m.jobId() != null) {
                        activity.metric(m.jobId(), m.planVersion(), Instant.ofEpochMilli(r.timestamp()));
                        read++;
                    }
                }
            }
            activity.seeded(since);
            log.info("orphan check: {} step metrics since {} read back", read, since);
        } catch (RuntimeException e) {
            // without them, silence counts from start-up only: slower to find orphans, never quicker
            log.warn("orphan check: could not read back recent step metrics: {}", e.getMessage());
        }
    }

    private StepMetric metricOrNull(byte[] value) {
        try {
            return value == null ? null : json.readValue(value, StepMetric.class);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
