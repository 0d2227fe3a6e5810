package io.crosstrain.inventory.config;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * @param suspectAfter        silence after which a device that used to beat is SUSPECT
 * @param downAfter           silence after which it is DOWN
 * @param heartbeatPartitions partitions of the heartbeat topic when this service creates it
 * @param healthSweep         how often stored statuses are compared with the derived ones (heartbeats are
 *                            evaluated as they arrive; the sweep notices silence)
 * @param outbox              how device events are published
 */
@ConfigurationProperties("crosstrain.inventory")
public record InventoryProperties(Duration suspectAfter, Duration downAfter, Integer heartbeatPartitions,
                                  Duration healthSweep, Outbox outbox) {

    public InventoryProperties {
        suspectAfter = suspectAfter == null ? Duration.ofSeconds(15) : suspectAfter;
        downAfter = downAfter == null ? Duration.ofSeconds(60) : downAfter;
        heartbeatPartitions = heartbeatPartitions == null ? 3 : heartbeatPartitions;
        healthSweep = healthSweep == null ? Duration.ofSeconds(1) : healthSweep;
        outbox = outbox == null ? new Outbox(null, null, null) : outbox;
        if (suspectAfter.isNegative() || suspectAfter.isZero() || downAfter.compareTo(suspectAfter) < 0) {
            throw new IllegalArgumentException(
                    "need 0 < crosstrain.inventory.suspect-after <= crosstrain.inventory.down-after");
        }
        if (healthSweep.isNegative() || healthSweep.isZero()) {
            throw new IllegalArgumentException("crosstrain.inventory.health-sweep must be positive");
        }
    }

    /**
     * @param interval    pause between two publishing rounds
     * @param batchSize   events locked and sent per round
     * @param sendTimeout how long to wait for the broker's acknowledgement
     */
    public record Outbox(Duration interval, Integer batchSize, Duration sendTimeout) {
        public Outbox {
            interval = interval == null ? Duration.ofMillis(100) : interval;
            batchSize = batchSize == null ? 200 : batchSize;
            sendTimeout = sendTimeout == null ? Duration.ofSeconds(15) : sendTimeout;
            if (batchSize < 1 || interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException(
                        "crosstrain.inventory.outbox needs a positive interval and batch-size");
            }
        }
    }
}
