package io.crosstrain.inventory.domain;

import java.time.Instant;

public record Datacenter(String id, String name, String region, Instant createdAt) {
}
