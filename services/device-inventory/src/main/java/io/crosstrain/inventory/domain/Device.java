package io.crosstrain.inventory.domain;

import java.time.Instant;
import java.util.Map;

/**
 * A registered device as stored, with what its latest heartbeat told us (null fields until the first one).
 *
 * @param memoryGb memory of this device; null only for devices registered before it was recorded
 */
public record Device(
        String id,
        String nodeId,
        String datacenter,
        String chip,
        Map<String, String> labels,
        Instant lastHeartbeat,
        String mode,
        Double cpuFlopsPerSec,
        Integer hostCores,
        Double memoryGb,
        Instant createdAt) {
}
