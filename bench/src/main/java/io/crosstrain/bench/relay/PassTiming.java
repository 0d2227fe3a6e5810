package io.crosstrain.bench.relay;

import java.util.Map;

/**
 * One timed pass.
 *
 * @param kind        {@link #RAW} or {@link #RELAY}
 * @param warmup      not counted
 * @param bytes       grad-up record bytes the senders produced
 * @param sentNanos   first produce until every sender's last record was acknowledged
 * @param totalNanos  first produce until the last record was consumed (raw), or the last average was on grad-down
 *                    (relay; with the bench's --timed-readback: read back by a consumer)
 * @param cpuNanos    CPU time of this JVM during the pass, by {@link ThreadCpu} group
 * @param jitMillis   time the JIT compilers spent during the pass (CompilationMXBean; -1 when unknown)
 */
public record PassTiming(String kind, boolean warmup, long bytes, long sentNanos, long totalNanos,
                         Map<String, Long> cpuNanos, long jitMillis) {

    public PassTiming {
        cpuNanos = Map.copyOf(cpuNanos);
    }

    public static final String RAW = "raw";
    public static final String RELAY = "relay";

    /** End-to-end throughput, MB (10^6 bytes) per second. */
    public double mbps() {
        return bytes / 1e6 / (totalNanos / 1e9);
    }

    /** How fast the senders got their records acknowledged, MB/s. */
    public double sentMbps() {
        return bytes / 1e6 / (sentNanos / 1e9);
    }

    /** CPU milliseconds of a group per MB of grad-up bytes. */
    public double cpuMillisPerMb(String group) {
        return cpuNanos.getOrDefault(group, 0L) / 1e6 / (bytes / 1e6);
    }

    public double cpuMillisPerMb() {
        return cpuNanos.values().stream().mapToLong(Long::longValue).sum() / 1e6 / (bytes / 1e6);
    }
}
