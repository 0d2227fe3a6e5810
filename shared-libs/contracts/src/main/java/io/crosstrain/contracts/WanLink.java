package io.crosstrain.contracts;

/**
 * A WAN link between two datacenters as the inventory knows it (undirected). Relays emulate it: a transfer of
 * {@code n} bytes takes {@code latency + n·8 / bandwidth}, scaled by the plan's time scale (ARCHITECTURE.md §6).
 */
public record WanLink(String a, String b, Double bandwidthGbps, Double latencyMs) {

    public boolean joins(String x, String y) {
        return a != null && b != null && (a.equals(x) && b.equals(y) || a.equals(y) && b.equals(x));
    }

    /** Seconds {@code bytes} take on this link at full speed (no time scale). */
    public double transferSeconds(long bytes) {
        double bw = bandwidthGbps == null || bandwidthGbps <= 0 ? Double.POSITIVE_INFINITY : bandwidthGbps * 1e9;
        double lat = latencyMs == null || latencyMs < 0 ? 0 : latencyMs / 1000.0;
        return lat + bytes * 8.0 / bw;
    }
}
