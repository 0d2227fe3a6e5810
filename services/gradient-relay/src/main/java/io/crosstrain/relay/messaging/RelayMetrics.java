package io.crosstrain.relay.messaging;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.crosstrain.contracts.Topics;
import io.crosstrain.relay.domain.RoundAggregator.Rejection;
import io.crosstrain.relay.domain.RoundAggregator.Stage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Micrometer counters of one relay, tagged by stage ({@code intra-dc}: grad-up in, grad-wan partials out;
 * {@code cross-dc}: grad-wan partials in, grad-down averages out), and the dashboard's relay figures: the latency of
 * the rounds this relay commits ({@link #ROUND_LATENCY}, by stage and round kind) and the bytes that crossed each
 * emulated WAN link into this datacenter ({@link #WAN_BYTES}, by {@code from} and {@code to} datacenter). Every tag
 * takes a few values only (two stages, three kinds, the plan's datacenters): no job or round ids.
 */
public final class RelayMetrics {

    public static final String IN = "relay.chunks.in";
    public static final String OUT = "relay.chunks.out";
    public static final String DUPLICATES = "relay.chunks.duplicates";
    public static final String DEAD_LETTERS = "relay.chunks.dead-letters";
    public static final String BUFFERED = "relay.chunks.buffered";
    public static final String IGNORED = "relay.chunks.ignored";
    public static final String ABANDONED = "relay.chunks.abandoned";
    public static final String PUBLISH_FAILURES = "relay.publish.failures";
    /** Chunks the broker acknowledged, by where they went: {@code to=down} (averages), {@code to=wan} (partials). */
    public static final String DELIVERED = "relay.chunks.delivered";
    public static final String WAN_BYTES_SENT = "relay.wan.bytes.sent";
    public static final String ROUNDS_COMMITTED = "relay.rounds.committed";
    /** Prometheus: {@code crosstrain_relay_round_latency_seconds} (a histogram, for p50/p95). */
    public static final String ROUND_LATENCY = "crosstrain.relay.round.latency";
    /** Prometheus: {@code crosstrain_relay_wan_bytes_total}. */
    public static final String WAN_BYTES = "crosstrain.relay.wan.bytes";

    private static final String DOWN_PREFIX = Topics.gradDown("");

    private final MeterRegistry registry;
    private final Map<Stage, Counters> byStage = new EnumMap<>(Stage.class);
    private final Counter publishFailures;
    private final Counter deliveredDown;
    private final Counter deliveredWan;
    private final Map<String, Counter> wanLinks = new ConcurrentHashMap<>();
    private final Map<String, Timer> latencies = new ConcurrentHashMap<>();
    private final String datacenter;

    /** @param datacenter this relay's datacenter: the {@code to} end of the WAN links it counts */
    public RelayMetrics(MeterRegistry registry, String datacenter) {
        this.registry = registry;
        this.datacenter = datacenter;
        for (Stage s : Stage.values()) {
            byStage.put(s, new Counters(registry, tag(s)));
        }
        publishFailures = registry.counter(PUBLISH_FAILURES);
        deliveredDown = registry.counter(DELIVERED, "to", "down");
        deliveredWan = registry.counter(DELIVERED, "to", "wan");
    }

    public static String tag(Stage s) {
        return s == Stage.INTRA_DC ? "intra-dc" : "cross-dc";
    }

    Counters of(Stage s) {
        return byStage.get(s);
    }

    void deadLetter(Stage s, Rejection reason) {
        registry.counter(DEAD_LETTERS, "stage", tag(s), "reason", reason.name()).increment();
    }

    void wanSent(long bytes) {
        registry.counter(WAN_BYTES_SENT).increment(bytes);
    }

    void roundClosed(String kind, String status) {
        registry.counter(ROUNDS_COMMITTED, "kind", kind, "status", status).increment();
    }

    /** Bytes of a partial that crossed the emulated WAN link {@code from → this datacenter}. */
    void wanReceived(String from, long bytes) {
        wanLinks.computeIfAbsent(from, f -> Counter.builder(WAN_BYTES).tag("from", f).tag("to", datacenter)
                .baseUnit("bytes").description("bytes of partials that crossed the emulated WAN link from -> to")
                .register(registry)).increment(bytes);
    }

    /** A round this relay committed, {@code millis} after its first contribution reached the committing stage. */
    void roundCommitted(String stage, String kind, long millis) {
        latencies.computeIfAbsent(stage + "/" + kind, k -> Timer.builder(ROUND_LATENCY).tag("stage", stage)
                .tag("kind", kind)
                .description("first contribution of a round reaching the committing stage to its last chunk going"
                        + " down")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(5))
                .register(registry)).record(Duration.ofMillis(millis));
    }

    void publishFailed() {
        publishFailures.increment();
    }

    /** A record the broker acknowledged; only gradient chunks are counted (not ledger lines or dead letters). */
    void delivered(String topic) {
        if (topic.equals(Topics.GRAD_WAN)) {
            deliveredWan.increment();
        } else if (topic.startsWith(DOWN_PREFIX)) {
            deliveredDown.increment();
        }
    }

    static final class Counters {
        final Counter in;
        final Counter out;
        final Counter duplicates;
        final Counter buffered;
        final Counter ignored;
        final Counter abandoned;

        Counters(MeterRegistry r, String stage) {
            in = r.counter(IN, "stage", stage);
            out = r.counter(OUT, "stage", stage);
            duplicates = r.counter(DUPLICATES, "stage", stage);
            buffered = r.counter(BUFFERED, "stage", stage);
            ignored = r.counter(IGNORED, "stage", stage);
            abandoned = r.counter(ABANDONED, "stage", stage);
        }
    }
}
