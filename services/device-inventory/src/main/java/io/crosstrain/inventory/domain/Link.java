package io.crosstrain.inventory.domain;

import java.time.Instant;

/**
 * An undirected WAN link between two datacenters, shown from {@code from}'s side.
 *
 * @param gbps      bandwidth in Gbit/s (10^9 bits/s)
 * @param latencyMs one-way latency in milliseconds
 */
public record Link(String from, String to, double gbps, double latencyMs, Instant updatedAt) {

    /** The same link seen from the other end. */
    public Link reversed() {
        return new Link(to, from, gbps, latencyMs, updatedAt);
    }

    /** Seen from {@code datacenter}'s side when it is one of the ends. */
    public Link from(String datacenter) {
        return to.equals(datacenter) ? reversed() : this;
    }
}
