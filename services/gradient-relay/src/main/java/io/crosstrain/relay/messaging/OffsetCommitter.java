package io.crosstrain.relay.messaging;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.crosstrain.relay.domain.RoundAggregator;

/**
 * Commits the consumer position of one stage no further than the oldest contribution the aggregator still holds.
 * Partial sums live in memory only; if the relay restarts, it reads those contributions again instead of losing
 * them. Chunks completed before the crash may then be emitted a second time, which every receiver ignores by key
 * (relays by their duplicate check, workers by chunk index). Commits are asynchronous and at most every
 * {@link #INTERVAL_NANOS}, so they stay off the hot path, and again when the topic goes idle. Confined to the stage's
 * listener thread (commit callbacks run on it too).
 */
final class OffsetCommitter {

    static final long INTERVAL_NANOS = 100_000_000L;

    private static final Logger log = LoggerFactory.getLogger(OffsetCommitter.class);

    private final RoundAggregator<Origin> aggregator;
    private final Map<TopicPartition, Long> consumed = new HashMap<>();
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    private long lastCommit = System.nanoTime();

    OffsetCommitter(RoundAggregator<Origin> aggregator) {
        this.aggregator = aggregator;
    }

    void processed(Origin origin, Consumer<?, ?> consumer) {
        consumed.put(origin.topicPartition(), origin.offset() + 1);
        if (System.nanoTime() - lastCommit >= INTERVAL_NANOS) {
            commit(consumer);
        }
    }

    /**
     * The stage's consumer has had nothing to read for a while: commits what the last records left uncommitted (the
     * interval skipped them) and what an ended job's dropped chunks no longer hold, so offsets reach the end of an
     * idle topic instead of pinning it until the next record.
     */
    void idle(Consumer<?, ?> consumer) {
        commit(consumer);
    }

    private void commit(Consumer<?, ?> consumer) {
        lastCommit = System.nanoTime();
        Map<TopicPartition, Long> safe = new HashMap<>(consumed);
        aggregator.forEachHeld(o -> safe.computeIfPresent(o.topicPartition(), (tp, at) -> Math.min(at, o.offset())));
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        safe.forEach((tp, offset) -> {
            if (!offset.equals(committed.get(tp))) {
                commit.put(tp, new OffsetAndMetadata(offset));
            }
        });
        if (commit.isEmpty()) {
            return;
        }
        committed.putAll(safe);
        consumer.commitAsync(commit, (offsets, ex) -> {
            if (ex != null) {
                log.warn("offset commit {} failed: {}", offsets, ex.toString());
                offsets.keySet().forEach(committed::remove); // tried again with the next record or idle spell
            }
        });
    }
}
