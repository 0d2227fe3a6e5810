package io.crosstrain.inventory.domain;

import java.time.Instant;
import java.util.Map;

/** A registered device as stored, with what its latest heartbeat told us (null fields until the first one). */
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
        Instant createdAt) {
}
