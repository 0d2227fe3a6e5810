package io.crosstrain.inventory.config;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * @param suspectAfter        silence after which a device that used to beat is SUSPECT
 * @param downAfter           silence after which it is DOWN
 * @param heartbeatPartitions partitions of the heartbeat topic when this service creates it
 */
@ConfigurationProperties("crosstrain.inventory")
public record InventoryProperties(Duration suspectAfter, Duration downAfter, Integer heartbeatPartitions) {

    public InventoryProperties {
        suspectAfter = suspectAfter == null ? Duration.ofSeconds(15) : suspectAfter;
        downAfter = downAfter == null ? Duration.ofSeconds(60) : downAfter;
        heartbeatPartitions = heartbeatPartitions == null ? 3 : heartbeatPartitions;
        if (suspectAfter.isNegative() || suspectAfter.isZero() || downAfter.compareTo(suspectAfter) < 0) {
            throw new IllegalArgumentException(
                    "need 0 < crosstrain.inventory.suspect-after <= crosstrain.inventory.down-after");
        }
    }
}
