package io.crosstrain.relay.domain;

import static io.crosstrain.relay.domain.Fixtures.chunks;
import static io.crosstrain.relay.domain.Fixtures.device;
import static io.crosstrain.relay.domain.Fixtures.diloco;
import static io.crosstrain.relay.domain.Fixtures.offer;
import static io.crosstrain.relay.domain.Fixtures.plan;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.GradientHeaders;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.RoundLedgerEntry;
import io.crosstrain.contracts.Rounds;
import io.crosstrain.contracts.WanLink;
import io.crosstrain.relay.domain.Fixtures.Rec;
import io.crosstrain.relay.domain.Fixtures.Recorder;
import io.crosstrain.relay.domain.RoundAggregator.Output;
import io.crosstrain.relay.domain.RoundAggregator.Settings;
import io.crosstrain.relay.domain.RoundAggregator.Stage;

/** DiLoCo's two kinds of rounds, the ledger lines they close with, and a restarted relay that remembers them. */
class DilocoRoundsTest {

    final UUID job = UUID.randomUUID();
    final List<WanLink> links = List.of(new WanLink("a", "b", 1.0, 40.0));
    final Plan plan = diloco(job, 1, List.of("a", "b"), List.of(device("a-0", "a", 0, 2), device("b-0", "b", 1, 3),
            device("a-1", "a", 2, 4)), 5, "int8", links);
    final Recorder sink = new Recorder();
    final RoundAggregator<String> intra = new RoundAggregator<>(Stage.INTRA_DC, "a", new Settings(1000, 1 << 24),
            sink).wanEncoder(new QuantizingWanEncoder());

    @Test
    void innerRoundsGoStraightDownAsTheDatacenterAverageAndCommitOnce() {
        intra.onPlan(plan);
        Rec.of(chunks(job, 3, 1, "a-0", 2, new float[] {2f, 4f})).forEach(r -> offer(intra, r));
        Rec.of(chunks(job, 3, 1, "a-1", 4, new float[] {8f, -4f})).forEach(r -> offer(intra, r));

        assertThat(sink.outputs).hasSize(1);
        Output out = sink.outputs.get(0);
        assertThat(out.down()).isTrue();
        assertThat(out.key()).isEqualTo(GradientHeaders.downKey(job, 3, 0));
        Chunk c = TensorCodec.decode(out.record());
        assertThat(c.values()).containsExactly(10f / 6f, 0f);
        assertThat(c.meta().sampleCount()).isEqualTo(6);
        assertThat(sink.ledger).singleElement().satisfies(e -> {
            assertThat(e.status()).isEqualTo(RoundLedgerEntry.COMMITTED);
            assertThat(e.kind()).isEqualTo(RoundLedgerEntry.INNER);
            assertThat(e.round()).isEqualTo(3);
            assertThat(e.samples()).isEqualTo(6);
            assertThat(e.contributors()).containsExactly("a-0", "a-1");
        });

        // the same records again (a redelivery, or a replay): counted once, no second line
        Rec.of(chunks(job, 3, 1, "a-0", 2, new float[] {2f, 4f})).forEach(r -> offer(intra, r));
        assertThat(sink.duplicates).hasSize(1);
        assertThat(sink.ledger).hasSize(1);
    }

    @Test
    void outerRoundsLeaveForTheWanQuantizedWithThePlansCodec() {
        intra.onPlan(plan);
        long outer = Rounds.outer(5);
        float[] d0 = new float[300];
        float[] d1 = new float[300];
        for (int i = 0; i < 300; i++) {
            d0[i] = (float) Math.sin(i) * 2;
            d1[i] = (float) Math.cos(i) * 4;
        }
        Rec.of(chunks(job, outer, 1, "a-0", 10, d0)).forEach(r -> offer(intra, r));
        Rec.of(chunks(job, outer, 1, "a-1", 20, d1)).forEach(r -> offer(intra, r));

        assertThat(sink.outputs).singleElement().satisfies(o -> {
            assertThat(o.down()).isFalse();
            assertThat(o.key()).isEqualTo(GradientHeaders.wanKey(job, outer, "a", 0));
            Chunk c = TensorCodec.decode(o.record());
            assertThat(c.meta().codec()).isEqualTo(Codec.INT8);
            assertThat(c.meta().sampleCount()).isEqualTo(30);
            for (int i = 0; i < 300; i++) {
                // blockwise int8: within half a step of the block's absmax/127 (the sum here stays below 6)
                assertThat(c.values()[i]).isCloseTo(d0[i] + d1[i], within(6f / 254f + 1e-5f));
            }
            assertThat(o.record().length).isLessThan(300 * 4 / 2);
        });
        assertThat(sink.ledger).as("a partial commits where it goes down, not here").isEmpty();
    }

    @Test
    void crossDcOuterRoundAveragesByWeightAddsTheEmulatedLinkAndCommits() {
        Recorder crossSink = new Recorder();
        long[] now = {1_000};
        RoundAggregator<String> cross = new RoundAggregator<>(Stage.CROSS_DC, "a", new Settings(1000, 1 << 24),
                crossSink).wanDelay((p, from, to, bytes) -> p.link(from, to)
                        .map(l -> Math.round(l.transferSeconds(bytes) / p.timeScale() * 1000)).orElse(0L))
                .lateness(RoundAggregator.LatenessJudge.NEVER, () -> now[0]);
        cross.onPlan(plan);
        long outer = Rounds.outer(5);
        List<byte[]> fromA = chunks(job, outer, 1, "a", 6, new float[] {6f, 12f});
        List<byte[]> fromB = chunks(job, outer, 1, "b", 3, new float[] {3f, -3f});
        cross.offer(GradientHeaders.wanKey(job, outer, "a", 0), fromA.get(0), "a", 10_000L);
        cross.offer(GradientHeaders.wanKey(job, outer, "b", 0), fromB.get(0), "b", 10_000L);

        Output out = crossSink.outputs.get(0);
        assertThat(TensorCodec.decode(out.record()).values()).containsExactly(1f, 1f);
        // b's partial crossed the 1 Gbit/s, 40 ms link at time scale 0.5: (0.04 s + bytes·8/1e9) / 0.5
        long expectedDelay = Math.round((0.04 + fromB.get(0).length * 8 / 1e9) / 0.5 * 1000);
        assertThat(out.readyAtMs()).isEqualTo(10_000L + expectedDelay);
        assertThat(out.wanBytes()).isEqualTo(fromB.get(0).length);
        assertThat(crossSink.ledger).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(RoundLedgerEntry.OUTER);
            assertThat(e.contributors()).containsExactly("a", "b");
            assertThat(e.wanBytes()).isEqualTo(fromB.get(0).length);
        });
    }

    @Test
    void aPartialOfSeveralChunksArrivesChunkByChunkAsTheLinkCarriesIt() {
        Recorder crossSink = new Recorder();
        RoundAggregator<String> cross = new RoundAggregator<>(Stage.CROSS_DC, "a", new Settings(1000, 1 << 26),
                crossSink).wanDelay((p, from, to, bytes) -> p.link(from, to)
                        .map(l -> Math.round(l.transferSeconds(bytes) / p.timeScale() * 1000)).orElse(0L))
                .lateness(RoundAggregator.LatenessJudge.NEVER, () -> 1_000L);
        cross.onPlan(plan);
        long outer = Rounds.outer(5);
        float[] values = new float[300_000]; // three FP32 chunks
        List<byte[]> fromA = chunks(job, outer, 1, "a", 6, values);
        List<byte[]> fromB = chunks(job, outer, 1, "b", 3, values);
        assertThat(fromB).hasSize(3);
        for (int i = 0; i < 3; i++) {
            cross.offer(GradientHeaders.wanKey(job, outer, "a", i), fromA.get(i), "a", 10_000L);
            cross.offer(GradientHeaders.wanKey(job, outer, "b", i), fromB.get(i), "b", 10_000L);
        }
        // chunk i of b's partial is in once the 1 Gbit/s, 40 ms link carried chunks 0..i (time scale 0.5)
        long through = 0;
        for (int i = 0; i < 3; i++) {
            through += fromB.get(i).length;
            long expected = 10_000L + Math.round((0.04 + through * 8 / 1e9) / 0.5 * 1000);
            int chunk = i;
            assertThat(crossSink.outputs).filteredOn(o -> o.chunkIndex() == chunk).singleElement()
                    .satisfies(o -> assertThat(o.readyAtMs()).as("chunk %d", chunk).isEqualTo(expected));
        }
    }

    @Test
    void aRestartedRelayThatReadTheLedgerDeliversNoCommittedRoundAgain() {
        RoundAggregator<String> restarted = new RoundAggregator<>(Stage.INTRA_DC, "a", new Settings(1000, 1 << 24),
                sink);
        restarted.onPlan(plan);
        restarted.markCommitted(job, 1, 3);
        Rec.of(chunks(job, 3, 1, "a-0", 2, new float[] {2f, 4f})).forEach(r -> offer(restarted, r));
        Rec.of(chunks(job, 3, 1, "a-1", 4, new float[] {8f, -4f})).forEach(r -> offer(restarted, r));
        assertThat(sink.outputs).isEmpty();
        assertThat(sink.duplicates).hasSize(2);
        // the next round is new to it and goes through
        Rec.of(chunks(job, 4, 1, "a-0", 2, new float[] {2f, 4f})).forEach(r -> offer(restarted, r));
        Rec.of(chunks(job, 4, 1, "a-1", 4, new float[] {8f, -4f})).forEach(r -> offer(restarted, r));
        assertThat(sink.outputs).hasSize(1);
        assertThat(sink.ledger).extracting(RoundLedgerEntry::round).containsExactly(4L);
    }

    @Test
    void aNewerPlanAbortsTheOpenRoundsItTakesOverWithOneLineEach() {
        intra.onPlan(plan);
        Rec.of(chunks(job, 7, 1, "a-0", 2, new float[] {2f, 4f})).forEach(r -> offer(intra, r));
        Rec.of(chunks(job, Rounds.outer(6), 1, "a-0", 2, new float[] {2f, 4f})).forEach(r -> offer(intra, r));
        Plan next = plan.next(plan.datacenters(), plan.devices(), null, 6, "rebalance", false);
        intra.onPlan(next);
        assertThat(sink.ledger).extracting(RoundLedgerEntry::status).containsOnly(RoundLedgerEntry.ABORTED);
        assertThat(sink.ledger).extracting(RoundLedgerEntry::round).containsExactlyInAnyOrder(7L, Rounds.outer(6));
        // a late contribution to an aborted round is not summed into anything
        Rec.of(chunks(job, 7, 1, "a-1", 4, new float[] {8f, -4f})).forEach(r -> offer(intra, r));
        assertThat(sink.outputs).isEmpty();
    }

    @Test
    void syncDpRoundsStillGoToTheWanEveryStep() {
        Plan syncDp = plan(job, 1, List.of("a", "b"), plan.devices());
        intra.onPlan(syncDp);
        Rec.of(chunks(job, 3, 1, "a-0", 2, new float[] {2f, 4f})).forEach(r -> offer(intra, r));
        Rec.of(chunks(job, 3, 1, "a-1", 4, new float[] {8f, -4f})).forEach(r -> offer(intra, r));
        assertThat(sink.outputs).singleElement().satisfies(o -> {
            assertThat(o.down()).isFalse();
            assertThat(TensorCodec.decode(o.record()).meta().codec()).isEqualTo(Codec.FP32);
        });
    }
}
