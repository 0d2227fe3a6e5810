package io.crosstrain.relay.messaging;

import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.crosstrain.codec.CorruptChunkException;
import io.crosstrain.kafka.InvalidRecordException;
import io.crosstrain.contracts.RoundLedgerEntry;
import io.crosstrain.relay.domain.RoundAggregator;
import io.crosstrain.relay.domain.RoundAggregator.Output;
import io.crosstrain.relay.domain.RoundAggregator.Rejection;
import io.crosstrain.relay.domain.RoundAggregator.Stage;

/** Turns the outcomes of one aggregator stage into Kafka records and metrics. */
final class StageSink implements RoundAggregator.Sink<Origin> {

    private static final Logger log = LoggerFactory.getLogger(StageSink.class);

    private final Stage stage;
    private final String inTopic;
    private final String downTopic;
    private final GradientPublisher publisher;
    private final RelayMetrics.Counters counters;
    private final RelayMetrics metrics;

    private final RoundLedger ledger;
    private volatile java.util.function.Consumer<Output> sole;

    /** @param downTopic where averages for this datacenter's workers go; partials for the WAN go to grad-wan */
    StageSink(Stage stage, String inTopic, String downTopic, GradientPublisher publisher, RelayMetrics metrics,
              RoundLedger ledger) {
        this.stage = stage;
        this.inTopic = inTopic;
        this.downTopic = downTopic;
        this.ledger = ledger;
        this.publisher = publisher;
        this.metrics = metrics;
        this.counters = metrics.of(stage);
    }

    /**
     * Takes the partials of plans that have this datacenter alone: the cross-DC stage gets them in memory instead of
     * a round trip over grad-wan (there is nobody to exchange with).
     */
    void sole(java.util.function.Consumer<Output> crossDc) {
        this.sole = crossDc;
    }

    @Override
    public void publish(Output output) {
        java.util.function.Consumer<Output> local = sole;
        if (local != null && output.soleDatacenter() && !output.down()) {
            counters.out.increment();
            local.accept(output);
            return;
        }
        // only averages going down carry the WAN traffic header
        if (output.down()) {
            publisher.send(downTopic, output.key(), output.record(), output.wanBytes(), output.readyAtMs(),
                    output.stop());
        } else {
            publisher.sendToWan(output.key(), output.record(), output.readyAtMs(), output.stop());
            metrics.wanSent(output.record().length);
        }
        counters.out.increment();
    }

    @Override
    public void roundClosed(RoundLedgerEntry entry) {
        ledger.write(entry);
        if (!entry.late().isEmpty()) {
            log.info("job {}: {} waited for late partials of {}", entry.jobId(),
                    io.crosstrain.contracts.Rounds.describe(entry.round()), entry.late());
        }
    }

    @Override
    public void roundCommitted(RoundLedgerEntry entry, long latencyMs) {
        metrics.roundCommitted(RelayMetrics.tag(stage), entry.kind(), latencyMs);
    }

    @Override
    public void wanReceived(String fromDatacenter, long bytes) {
        metrics.wanReceived(fromDatacenter, bytes);
    }

    @Override
    public void duplicate(String key, Origin origin) {
        log.debug("ignoring duplicate {} on {}", key, inTopic);
        counters.duplicates.increment();
    }

    @Override
    public void deadLetter(String key, byte[] value, Origin origin, Rejection reason,
                           String message) {
        String type = reason == Rejection.CORRUPT ? CorruptChunkException.class.getName()
                : InvalidRecordException.class.getName();
        publisher.deadLetter(origin, inTopic, key, value, reason.name(), type, message);
        metrics.deadLetter(stage, reason);
    }

    @Override
    public void buffered(String key, Origin origin) {
        counters.buffered.increment();
    }

    @Override
    public void ignored(String key, Origin origin) {
        counters.ignored.increment();
    }

    @Override
    public void abandoned(UUID jobId, int planVersion, int chunks) {
        log.warn("job {}: dropped {} open {} chunks of superseded plan version {}", jobId, chunks,
                RelayMetrics.tag(stage), planVersion);
        counters.abandoned.increment(chunks);
    }
}
