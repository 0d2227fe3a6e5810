package io.crosstrain.bench.relay;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Medians, the printed table and the JSON of the relay bench. */
public final class RelayReport {

    public static final double GOAL = 0.8;

    /** What was sent per pass. */
    public record Shape(int senders, int chunksPerSender, int rounds, int warmupPairs, int warmupRounds,
                        int recordBytes, long bytesPerPass, boolean timedReadback) {
    }

    private final Shape shape;
    private final List<PassTiming> passes;

    public RelayReport(Shape shape, List<PassTiming> passes) {
        this.shape = shape;
        this.passes = List.copyOf(passes);
    }

    public double rawMbps() {
        return median(counted(PassTiming.RAW), false);
    }

    public double relayMbps() {
        return median(counted(PassTiming.RELAY), false);
    }

    public double ratio() {
        return relayMbps() / rawMbps();
    }

    /**
     * Median of relay/raw over the counted passes taken pairwise in run order: load from outside the bench that
     * drifts over the run moves both passes of a pair alike, so this is the steadier figure on a shared machine.
     */
    public double pairRatio() {
        List<PassTiming> raw = counted(PassTiming.RAW);
        List<PassTiming> relay = counted(PassTiming.RELAY);
        int n = Math.min(raw.size(), relay.size());
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = relay.get(i).mbps() / raw.get(i).mbps();
        }
        return median(r);
    }

    private List<PassTiming> counted(String kind) {
        return passes.stream().filter(p -> !p.warmup() && p.kind().equals(kind)).toList();
    }

    private static double median(List<PassTiming> ps, boolean sent) {
        if (ps.isEmpty()) {
            throw new IllegalStateException("no counted pass");
        }
        return median(ps.stream().mapToDouble(p -> sent ? p.sentMbps() : p.mbps()).toArray());
    }

    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    public Map<String, Object> json() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("relayMBps", relayMbps());
        json.put("rawKafkaMBps", rawMbps());
        json.put("ratio", ratio());
        json.put("goal", GOAL);
        json.put("pairRatioMedian", pairRatio());
        json.put("relaySentMBps", median(counted(PassTiming.RELAY), true));
        json.put("rawSentMBps", median(counted(PassTiming.RAW), true));
        json.put("senders", shape.senders());
        json.put("chunksPerSender", shape.chunksPerSender());
        json.put("rounds", shape.rounds());
        json.put("warmupPairs", shape.warmupPairs());
        json.put("recordBytes", shape.recordBytes());
        json.put("mbPerPass", shape.bytesPerPass() / 1e6);
        json.put("relayPassesMBps", counted(PassTiming.RELAY).stream().map(PassTiming::mbps).toList());
        json.put("relayPassesJitMs", counted(PassTiming.RELAY).stream().map(PassTiming::jitMillis).toList());
        json.put("rawPassesJitMs", counted(PassTiming.RAW).stream().map(PassTiming::jitMillis).toList());
        json.put("rawPassesMBps", counted(PassTiming.RAW).stream().map(PassTiming::mbps).toList());
        Map<String, Object> cpu = new LinkedHashMap<>();
        cpu.put(PassTiming.RAW, cpuMillisPerMb(PassTiming.RAW));
        cpu.put(PassTiming.RELAY, cpuMillisPerMb(PassTiming.RELAY));
        json.put("cpuMsPerMB", cpu);
        json.put("relayClockStops", relayClock());
        json.put("rawClockStops", RAW_CLOCK);
        json.put("mode", "measured-on-device (CPU, one in-process KRaft broker)");
        return json;
    }

    /** CPU milliseconds per MB of grad-up data by {@link ThreadCpu} group and in total, medians over passes. */
    public Map<String, Double> cpuMillisPerMb(String kind) {
        List<PassTiming> ps = counted(kind);
        Map<String, Double> by = new LinkedHashMap<>();
        for (String g : ThreadCpu.GROUPS) {
            by.put(g, median(ps.stream().mapToDouble(p -> p.cpuMillisPerMb(g)).toArray()));
        }
        by.put("total", median(ps.stream().mapToDouble(PassTiming::cpuMillisPerMb).toArray()));
        return by;
    }

    private static final String RAW_CLOCK = "the consumer read the last record";

    private String relayClock() {
        return shape.timedReadback() ? "a consumer read the last average back from grad-down"
                : "grad-down holds the last average (read back and checked after the clock stopped)";
    }

    /**
     * One line for the uncounted passes of a kind (warm-up passes come in pairs, so there is one of each kind at
     * least): their rates, and the JIT time of the first and the last.
     */
    private static String warmupLine(List<PassTiming> warm, String kind) {
        List<PassTiming> ps = warm.stream().filter(p -> p.kind().equals(kind)).toList();
        double[] mbps = ps.stream().mapToDouble(PassTiming::mbps).toArray();
        String range = String.format(Locale.ROOT, "%.1f-%.1f", Arrays.stream(mbps).min().orElseThrow(),
                Arrays.stream(mbps).max().orElseThrow());
        return String.format(Locale.ROOT, "  %-8s %-6s %14s   (%d passes; JIT ms in the first %d, in the last %d)",
                "warm-up", kind, range, ps.size(), ps.get(0).jitMillis(), ps.get(ps.size() - 1).jitMillis());
    }

    public List<String> table() {
        List<String> out = new ArrayList<>();
        out.add("gradient relay vs raw Kafka, same broker, same run (measured on this machine; pacing off)");
        out.add(String.format(Locale.ROOT, "  %d senders x %d FP32 chunks of %,d B (512 KiB records) per round, "
                        + "%d rounds = %,d records, %.1f MB per pass (warm-up: %d pairs of %d rounds, not counted)",
                shape.senders(), shape.chunksPerSender(), shape.recordBytes(), shape.rounds(),
                shape.senders() * shape.chunksPerSender() * shape.rounds(), shape.bytesPerPass() / 1e6,
                shape.warmupPairs(), shape.warmupRounds()));
        out.add("  acks=all, idempotent producers (one per sender), one partition per topic; MB = 10^6 bytes");
        out.add(String.format(Locale.ROOT, "  the relay sends one FP32 average per chunk down: 1/%d of the grad-up bytes, "
                + "which the broker stores as well", shape.senders()));
        out.add("  clock stops: raw when " + RAW_CLOCK + "; relay when " + relayClock());
        out.add(String.format(Locale.ROOT, "  %-8s %-6s %14s %14s %10s %8s", "pass", "kind", "end-to-end MB/s",
                "acked MB/s", "seconds", "JIT ms"));
        List<PassTiming> warm = passes.stream().filter(PassTiming::warmup).toList();
        if (!warm.isEmpty()) {
            out.add(warmupLine(warm, PassTiming.RAW));
            out.add(warmupLine(warm, PassTiming.RELAY));
        }
        int n = 0;
        for (PassTiming p : passes) {
            if (p.warmup()) {
                continue;
            }
            String label = String.valueOf(p.kind().equals(PassTiming.RAW) ? ++n : n);
            out.add(String.format(Locale.ROOT, "  %-8s %-6s %14.1f %14.1f %10.2f %8d", label, p.kind(), p.mbps(),
                    p.sentMbps(), p.totalNanos() / 1e9, p.jitMillis()));
        }
        out.add(String.format(Locale.ROOT, "  %-15s %14.1f %14.1f", "median raw", rawMbps(),
                median(counted(PassTiming.RAW), true)));
        out.add(String.format(Locale.ROOT, "  %-15s %14.1f %14.1f", "median relay", relayMbps(),
                median(counted(PassTiming.RELAY), true)));
        out.add(String.format(Locale.ROOT, "  %-15s %14.3f   (goal >= %.1f; median of per-pair ratios %.3f)",
                "ratio", ratio(), GOAL, pairRatio()));
        out.add("  CPU time of this JVM per MB of grad-up data, ms/MB (medians of the counted passes)");
        Map<String, Double> raw = cpuMillisPerMb(PassTiming.RAW);
        Map<String, Double> relay = cpuMillisPerMb(PassTiming.RELAY);
        out.add(String.format(Locale.ROOT, "  %-16s %8s %8s", "component", "raw", "relay"));
        for (String g : raw.keySet()) {
            out.add(String.format(Locale.ROOT, "  %-16s %8.2f %8.2f", g, raw.get(g), relay.get(g)));
        }
        return out;
    }
}
