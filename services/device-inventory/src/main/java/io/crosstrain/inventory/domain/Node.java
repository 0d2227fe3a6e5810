package io.crosstrain.inventory.domain;

import java.time.Instant;
import java.util.List;

/** A host in a datacenter with the ids of the devices on it. */
public record Node(String id, String datacenter, List<String> deviceIds, Instant createdAt) {
}
