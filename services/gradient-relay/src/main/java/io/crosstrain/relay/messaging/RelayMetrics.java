package io.crosstrain.relay.messaging;

import java.util.EnumMap;
import java.util.Map;

import io.crosstrain.relay.domain.RoundAggregator.Rejection;
import io.crosstrain.relay.domain.RoundAggregator.Stage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Micrometer counters of one relay, tagged by stage ({@code intra-dc}: grad-up in, grad-wan partials out;
 * {@code cross-dc}: grad-wan partials in, grad-down averages out).
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
    public static final String WAN_BYTES_SENT = "relay.wan.bytes.sent";
    public static final String ROUNDS_COMMITTED = "relay.rounds.committed";

    private final MeterRegistry registry;
    private final Map<Stage, Counters> byStage = new EnumMap<>(Stage.class);
    private final Counter publishFailures;

    public RelayMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Stage s : Stage.values()) {
            byStage.put(s, new Counters(registry, tag(s)));
        }
        publishFailures = registry.counter(PUBLISH_FAILURES);
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

    void publishFailed() {
        publishFailures.increment();
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
