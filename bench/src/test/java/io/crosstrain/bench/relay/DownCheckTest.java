package io.crosstrain.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.bench.relay.GradientWorkload.Up;
import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.relay.domain.RoundAggregator;
import io.crosstrain.relay.domain.RoundAggregator.Output;
import io.crosstrain.relay.domain.RoundAggregator.Rejection;
import io.crosstrain.relay.domain.RoundAggregator.Settings;
import io.crosstrain.relay.domain.RoundAggregator.Stage;

/** The check of a relay pass, fed with what the relay's own aggregation stages produce from the bench's records. */
class DownCheckTest {

    final GradientWorkload workload = new GradientWorkload(UUID.randomUUID(), 3, 2, 7);

    @Test
    void theRelaysAveragesPass() {
        DownCheck check = new DownCheck(workload, 4, 2);
        List<Output> down = aggregate(4, 2);
        for (int i = 0; i < down.size(); i++) {
            assertThat(check.complete()).isFalse();
            check.offer(down.get(i).key(), down.get(i).record());
        }

        assertThat(check.complete()).isTrue();
        assertThat(check.verify()).isEmpty();
    }

    @Test
    void aMissingChunkIsIncompleteAndReported() {
        DownCheck check = new DownCheck(workload, 1, 2);
        List<Output> down = aggregate(1, 2);
        down.subList(1, down.size()).forEach(o -> check.offer(o.key(), o.record()));

        assertThat(check.complete()).isFalse();
        assertThat(check.verify()).singleElement().asString().contains(down.get(0).key()).contains("never arrived");
    }

    @Test
    void aSecondCopyIsReportedThoughEveryChunkArrived() {
        DownCheck check = new DownCheck(workload, 1, 1);
        List<Output> down = aggregate(1, 1);
        down.forEach(o -> check.offer(o.key(), o.record()));
        check.offer(down.get(1).key(), down.get(1).record());

        assertThat(check.complete()).isTrue();
        assertThat(check.verify()).singleElement().asString().contains("more than once");
    }

    @Test
    void oneChangedElementIsReportedEvenWithAValidChecksum() {
        DownCheck check = new DownCheck(workload, 1, 1);
        List<Output> down = aggregate(1, 1);
        Chunk c = TensorCodec.decode(down.get(1).record());
        float[] v = c.values();
        v[123] = Math.nextUp(v[123]);
        byte[] tampered = TensorCodec.encodeChunk(c.meta(), c.chunkIndex(), c.chunkCount(), c.totalElements(),
                c.elementOffset(), v, 0, v.length);
        check.offer(down.get(0).key(), down.get(0).record());
        check.offer(down.get(1).key(), tampered);

        assertThat(check.verify()).singleElement().asString().contains("chunk 1: element " + (c.elementOffset() + 123));
    }

    @Test
    void anAverageOverTheWrongSampleCountIsReported() {
        DownCheck check = new DownCheck(workload, 1, 1);
        List<Output> down = aggregate(1, 1);
        Chunk c = TensorCodec.decode(down.get(0).record());
        ChunkMeta m = c.meta();
        byte[] wrong = TensorCodec.encodeChunk(new ChunkMeta(m.jobId(), m.round(), m.planVersion(), m.sender(),
                m.sampleCount() - 1, m.codec()), c.chunkIndex(), c.chunkCount(), c.totalElements(),
                c.elementOffset(), c.values(), 0, c.elementCount());
        check.offer(down.get(0).key(), wrong);
        check.offer(down.get(1).key(), down.get(1).record());

        assertThat(check.verify()).singleElement().asString().contains("samples");
    }

    @Test
    void recordsOfOtherRoundsAreReported() {
        DownCheck check = new DownCheck(workload, 2, 1);
        aggregate(1, 2).forEach(o -> check.offer(o.key(), o.record()));

        assertThat(check.complete()).isTrue();
        assertThat(check.verify()).hasSize(2).allSatisfy(p -> assertThat(p).startsWith("unexpected record"));
    }

    /** The relay's intra-DC stage, which sends the average down itself for a plan with a single datacenter. */
    private List<Output> aggregate(long firstRound, int rounds) {
        List<Output> down = new ArrayList<>();
        RoundAggregator<String> intra = new RoundAggregator<>(Stage.INTRA_DC, GradientWorkload.DATACENTER,
                new Settings(1000, 1 << 26), new Collect(down));
        intra.onPlan(workload.plan());
        // senders in reverse rank order: the relay must still sum in rank order
        for (int s = workload.senders() - 1; s >= 0; s--) {
            for (Up u : workload.encode(s, firstRound, rounds)) {
                intra.offer(u.key(), u.value(), u.key());
            }
        }
        assertThat(down).hasSize(rounds * workload.chunksPerSender()).allMatch(Output::down);
        return down;
    }

    private record Collect(List<Output> into) implements RoundAggregator.Sink<String> {
        @Override
        public void publish(Output output) {
            into.add(output);
        }

        @Override
        public void duplicate(String key, String origin) {
            throw new AssertionError("duplicate " + key);
        }

        @Override
        public void deadLetter(String key, byte[] value, String origin, Rejection reason, String message) {
            throw new AssertionError(reason + ": " + message);
        }
    }
}
