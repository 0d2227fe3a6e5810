package io.crosstrain.relay.domain;

import static io.crosstrain.relay.domain.Fixtures.chunks;
import static io.crosstrain.relay.domain.Fixtures.device;
import static io.crosstrain.relay.domain.Fixtures.gradient;
import static io.crosstrain.relay.domain.Fixtures.offer;
import static io.crosstrain.relay.domain.Fixtures.plan;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.TensorAssembler;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.GradientHeaders;
import io.crosstrain.contracts.Plan;
import io.crosstrain.relay.domain.Fixtures.Rec;
import io.crosstrain.relay.domain.Fixtures.Recorder;
import io.crosstrain.relay.domain.RoundAggregator.Output;
import io.crosstrain.relay.domain.RoundAggregator.Rejection;
import io.crosstrain.relay.domain.RoundAggregator.Settings;
import io.crosstrain.relay.domain.RoundAggregator.Stage;

class RoundAggregatorTest {

    static final int TWO_CHUNKS = TensorCodec.elementsPerChunk(Codec.FP32, "") + 1000;

    final UUID job = UUID.randomUUID();
    // datacenter a: ranks 0, 2, 3 (listed out of order on purpose); datacenter b: rank 1
    final Plan plan = plan(job, 1, List.of("a", "b"), List.of(
            device("a-2", "a", 3, 4), device("a-0", "a", 0, 2), device("b-0", "b", 1, 5), device("a-1", "a", 2, 3)));
    final Recorder sink = new Recorder();
    final RoundAggregator<String> intra = new RoundAggregator<>(Stage.INTRA_DC, "a", new Settings(1000, 1 << 24),
            sink);

    @Test
    void intraDcSumIsExactAndWeighted() {
        intra.onPlan(plan);
        float[] g0 = {1f, 2f, 3f};
        float[] g1 = {10f, 20f, 30f};
        float[] g2 = {100f, 200f, -300f};
        Rec.of(chunks(job, 5, 1, "a-2", 4, g2)).forEach(r -> offer(intra, r));
        Rec.of(chunks(job, 5, 1, "a-0", 2, g0)).forEach(r -> offer(intra, r));
        assertThat(sink.outputs).isEmpty();
        Rec.of(chunks(job, 5, 1, "a-1", 3, g1)).forEach(r -> offer(intra, r));

        assertThat(sink.outputs).hasSize(1);
        Output out = sink.outputs.get(0);
        assertThat(out.key()).isEqualTo(GradientHeaders.wanKey(job, 5, "a", 0));
        Chunk c = TensorCodec.decode(out.record());
        assertThat(c.values()).containsExactly(111f, 222f, -267f);
        assertThat(c.meta()).isEqualTo(new ChunkMeta(job, 5, 1, "a", 9, Codec.FP32));
        assertThat(out.wanBytes()).isZero();
        assertThat(intra.openChunks()).isZero();
    }

    @Test
    void sumFollowsRankOrderBitForBitWhateverTheArrivalOrder() {
        intra.onPlan(plan);
        float[] g0 = gradient(TWO_CHUNKS, 1);
        float[] g1 = gradient(TWO_CHUNKS, 2);
        float[] g2 = gradient(TWO_CHUNKS, 3);
        float[] expected = new float[TWO_CHUNKS];
        float[] otherOrder = new float[TWO_CHUNKS];
        boolean orderMatters = false;
        for (int i = 0; i < TWO_CHUNKS; i++) {
            expected[i] = (g0[i] + g1[i]) + g2[i];
            otherOrder[i] = (g2[i] + g1[i]) + g0[i];
            orderMatters |= Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(otherOrder[i]);
        }
        assertThat(orderMatters).as("the data must be sensitive to summation order").isTrue();

        // reverse rank order, chunks interleaved
        List<Rec> r2 = Rec.of(chunks(job, 9, 1, "a-2", 4, g2));
        List<Rec> r1 = Rec.of(chunks(job, 9, 1, "a-1", 3, g1));
        List<Rec> r0 = Rec.of(chunks(job, 9, 1, "a-0", 2, g0));
        for (int chunk = 1; chunk >= 0; chunk--) {
            offer(intra, r2.get(chunk));
            offer(intra, r1.get(chunk));
            offer(intra, r0.get(chunk));
        }

        assertThat(sink.outputs).hasSize(2);
        TensorAssembler t = new TensorAssembler();
        sink.outputs.forEach(o -> t.accept(TensorCodec.decode(o.record())));
        assertThat(t.complete()).isTrue();
        assertThat(bits(t.values())).isEqualTo(bits(expected));
    }

    @Test
    void aStopRequestOnAnyContributionMarksEveryChunkOfTheRoundOnEachHop() {
        intra.onPlan(plan);
        // round 7: only a-1 asks to stop; round 8: nobody
        for (long round : List.of(7L, 8L)) {
            for (String node : List.of("a-0", "a-1", "a-2")) {
                boolean ask = round == 7 && node.equals("a-1");
                Rec.of(chunks(job, round, 1, node, 2, gradient(TWO_CHUNKS, round))).forEach(
                        r -> intra.offer(r.key(), r.value(), r.key(), 0L, ask));
            }
        }
        assertThat(sink.outputs).hasSize(4);
        assertThat(sink.outputs).allMatch(o -> !o.down());
        assertThat(sink.outputs.stream().filter(o -> o.round() == 7)).hasSize(2).allMatch(Output::stop);
        assertThat(sink.outputs.stream().filter(o -> o.round() == 8)).hasSize(2).noneMatch(Output::stop);

        // the cross-DC stage of either datacenter: a's marked partial and b's unmarked one give a marked average
        for (String dc : List.of("a", "b")) {
            Recorder down = new Recorder();
            RoundAggregator<String> cross = new RoundAggregator<>(Stage.CROSS_DC, dc, new Settings(1000, 1 << 24),
                    down);
            // b's partial comes before the plan is known: the mark waits with it
            Rec.of(chunks(job, 7, 1, "b", 5, gradient(TWO_CHUNKS, 70))).forEach(
                    r -> cross.offer(r.key(), r.value(), r.key(), 0L, false));
            cross.onPlan(plan);
            sink.outputs.stream().filter(o -> o.round() == 7)
                    .forEach(o -> cross.offer(o.key(), o.record(), o.key(), 0L, o.stop()));
            assertThat(down.outputs).hasSize(2).allMatch(Output::down).allMatch(Output::stop);
        }
        Recorder down = new Recorder();
        RoundAggregator<String> cross = new RoundAggregator<>(Stage.CROSS_DC, "b", new Settings(1000, 1 << 24), down);
        cross.onPlan(plan);
        Rec.of(chunks(job, 7, 1, "b", 5, gradient(TWO_CHUNKS, 70))).forEach(
                r -> cross.offer(r.key(), r.value(), r.key(), 0L, true)); // a request from b alone counts as well
        sink.outputs.stream().filter(o -> o.round() == 8)
                .forEach(o -> cross.offer(o.key(), o.record(), o.key(), 0L, o.stop()));
        Rec.of(chunks(job, 8, 1, "b", 5, gradient(TWO_CHUNKS, 80))).forEach(
                r -> cross.offer(r.key(), r.value(), r.key(), 0L, false));
        sink.outputs.stream().filter(o -> o.round() == 7)
                .forEach(o -> cross.offer(o.key(), o.record(), o.key(), 0L, false));
        assertThat(down.outputs.stream().filter(o -> o.round() == 7)).hasSize(2).allMatch(Output::stop);
        assertThat(down.outputs.stream().filter(o -> o.round() == 8)).hasSize(2).noneMatch(Output::stop);
    }

    @Test
    void streamsChunkByChunk() {
        intra.onPlan(plan);
        List<List<Rec>> all = List.of(Rec.of(chunks(job, 1, 1, "a-0", 2, gradient(TWO_CHUNKS, 1))),
                Rec.of(chunks(job, 1, 1, "a-1", 3, gradient(TWO_CHUNKS, 2))),
                Rec.of(chunks(job, 1, 1, "a-2", 4, gradient(TWO_CHUNKS, 3))));
        all.forEach(recs -> offer(intra, recs.get(0)));
        assertThat(sink.outputs).extracting(Output::chunkIndex).containsExactly(0);
        assertThat(intra.openChunks()).isZero();
        all.forEach(recs -> offer(intra, recs.get(1)));
        assertThat(sink.outputs).extracting(Output::chunkIndex).containsExactly(0, 1);
    }

    @Test
    void duplicatesAreIgnoredWhileOpenAndAfterCompletion() {
        intra.onPlan(plan);
        Rec a0 = Rec.of(chunks(job, 3, 1, "a-0", 2, new float[] {1f})).get(0);
        Rec a1 = Rec.of(chunks(job, 3, 1, "a-1", 3, new float[] {2f})).get(0);
        Rec a2 = Rec.of(chunks(job, 3, 1, "a-2", 4, new float[] {4f})).get(0);
        offer(intra, a0);
        offer(intra, a0);
        offer(intra, a1);
        offer(intra, a2);
        offer(intra, a1);
        offer(intra, a2);

        assertThat(sink.duplicates).containsExactly(a0.key(), a1.key(), a2.key());
        assertThat(sink.outputs).hasSize(1);
        assertThat(TensorCodec.decode(sink.outputs.get(0).record()).values()).containsExactly(7f);
        assertThat(sink.dead).isEmpty();
    }

    @Test
    void chunksOfAnOlderPlanAreDeadLetteredAndNotCounted() {
        intra.onPlan(plan);
        Plan v2 = plan(job, 2, plan.datacenters(), plan.devices());
        intra.onPlan(v2);
        intra.onPlan(plan); // an older version arriving late changes nothing
        assertThat(intra.planVersion(job)).isEqualTo(2);

        Rec stale = Rec.of(chunks(job, 3, 1, "a-0", 2, new float[] {1f})).get(0);
        offer(intra, stale);
        assertThat(sink.dead).singleElement().satisfies(d -> {
            assertThat(d.reason()).isEqualTo(Rejection.STALE_PLAN);
            assertThat(d.message()).contains("plan version 1").contains("under version 2");
        });
        for (String dev : List.of("a-0", "a-1", "a-2")) {
            Rec.of(chunks(job, 3, 2, dev, 1, new float[] {1f})).forEach(r -> offer(intra, r));
        }
        assertThat(sink.outputs).singleElement()
                .satisfies(o -> assertThat(TensorCodec.decode(o.record()).values()).containsExactly(3f));
    }

    @Test
    void aNewPlanDropsOpenChunksOfTheOldOne() {
        intra.onPlan(plan);
        Rec.of(chunks(job, 3, 1, "a-0", 2, new float[] {1f})).forEach(r -> offer(intra, r));
        assertThat(intra.openChunks()).isOne();
        intra.onPlan(plan(job, 2, plan.datacenters(), plan.devices()));
        assertThat(intra.openChunks()).isZero();
        assertThat(sink.abandoned).isOne();
        // the same round can be redone under the new plan
        for (String dev : List.of("a-0", "a-1", "a-2")) {
            Rec.of(chunks(job, 3, 2, dev, 1, new float[] {2f})).forEach(r -> offer(intra, r));
        }
        assertThat(sink.outputs).hasSize(1);
    }

    @Test
    void chunksWaitForTheirPlan() {
        Rec.of(chunks(job, 1, 1, "a-0", 2, new float[] {1f})).forEach(r -> offer(intra, r));
        Rec.of(chunks(job, 1, 1, "a-1", 3, new float[] {2f})).forEach(r -> offer(intra, r));
        Rec.of(chunks(job, 1, 1, "a-2", 4, new float[] {4f})).forEach(r -> offer(intra, r));
        assertThat(sink.buffered).hasSize(3);
        assertThat(sink.outputs).isEmpty();
        assertThat(intra.bufferedRecords()).isEqualTo(3);

        intra.onPlan(plan);

        assertThat(sink.outputs).singleElement()
                .satisfies(o -> assertThat(TensorCodec.decode(o.record()).values()).containsExactly(7f));
        assertThat(intra.bufferedRecords()).isZero();
        assertThat(intra.bufferedBytes()).isZero();
    }

    @Test
    void chunksOfANewerPlanWaitForIt() {
        intra.onPlan(plan);
        Rec early = Rec.of(chunks(job, 1, 2, "a-0", 2, new float[] {1f})).get(0);
        offer(intra, early);
        assertThat(sink.buffered).containsExactly(early.key());
        intra.onPlan(plan(job, 2, plan.datacenters(), plan.devices()));
        assertThat(intra.bufferedRecords()).isZero();
        assertThat(intra.openChunks()).isOne();
    }

    @Test
    void theBufferIsBoundedAndOverflowIsDeadLettered() {
        Rec first = Rec.of(chunks(job, 1, 1, "a-0", 2, new float[100])).get(0);
        Rec second = Rec.of(chunks(job, 1, 1, "a-1", 2, new float[100])).get(0);
        RoundAggregator<String> small = new RoundAggregator<>(Stage.INTRA_DC, "a",
                new Settings(10, first.value().length + 10), sink);
        offer(small, first);
        offer(small, second);
        assertThat(sink.dead).singleElement().satisfies(d -> {
            assertThat(d.key()).isEqualTo(first.key());
            assertThat(d.reason()).isEqualTo(Rejection.BUFFER_OVERFLOW);
        });
        assertThat(small.bufferedRecords()).isOne();
    }

    @Test
    void corruptAndForeignChunksAreDeadLettered() {
        intra.onPlan(plan);
        Rec good = Rec.of(chunks(job, 1, 1, "a-0", 2, new float[] {1f, 2f})).get(0);
        byte[] flipped = good.value().clone();
        flipped[flipped.length - 7] ^= 0x20;
        intra.offer(good.key(), flipped, "x");
        Rec.of(chunks(job, 1, 1, "b-0", 5, new float[] {1f, 2f})).forEach(r -> offer(intra, r));
        Rec.of(chunks(job, 1, 1, "a-1", 3, new float[] {1f, 2f, 3f})).forEach(r -> offer(intra, r));
        offer(intra, good);
        Rec.of(chunks(job, 1, 1, "a-1", 3, new float[] {1f, 2f, 3f})).forEach(r -> offer(intra, r));
        intra.offer("wrong-key", good.value(), "x");

        assertThat(sink.dead).extracting(Fixtures.Dead::reason).containsExactly(Rejection.CORRUPT,
                Rejection.UNKNOWN_SENDER, Rejection.LAYOUT_MISMATCH, Rejection.KEY_MISMATCH);
        assertThat(sink.dead.get(0).message()).contains("CRC32C mismatch");
        // the chunk of a-1 keeps its slot; a-0's copy with another layout was not counted
        assertThat(intra.openChunks()).isOne();
        assertThat(sink.outputs).isEmpty();
    }

    /** The record as a slice in the middle of a larger array, the way the relay's listener receives it. */
    static ByteBuffer inFetch(byte[] record) {
        byte[] fetch = new byte[record.length + 300];
        Arrays.fill(fetch, (byte) 0x5a);
        System.arraycopy(record, 0, fetch, 200, record.length);
        return ByteBuffer.wrap(fetch, 200, record.length).slice();
    }

    @Test
    void chunksReadInPlaceFromAFetchBufferSumAsTheirCopiesDo() {
        intra.onPlan(plan);
        Recorder copySink = new Recorder();
        RoundAggregator<String> reference = new RoundAggregator<>(Stage.INTRA_DC, "a", new Settings(1000, 1 << 24),
                copySink);
        reference.onPlan(plan);
        for (String device : List.of("a-1", "a-0", "a-2")) {
            for (Rec r : Rec.of(chunks(job, 3, 1, device, 2, gradient(TWO_CHUNKS, device.hashCode())))) {
                intra.offer(r.key(), inFetch(r.value()), r.key(), 0L, false);
                offer(reference, r);
            }
        }
        assertThat(sink.outputs).hasSize(2);
        for (int i = 0; i < 2; i++) {
            assertThat(TensorCodec.decode(sink.outputs.get(i).record()).values())
                    .containsExactly(TensorCodec.decode(copySink.outputs.get(i).record()).values());
        }
    }

    @Test
    void aCorruptSliceIsDeadLetteredWithItsOwnBytesOnly() {
        intra.onPlan(plan);
        byte[] record = Rec.of(chunks(job, 1, 1, "a-0", 2, new float[] {1f, 2f})).get(0).value();
        ByteBuffer slice = inFetch(record);
        slice.put(slice.limit() - 7, (byte) (slice.get(slice.limit() - 7) ^ 0x20));
        byte[] sent = new byte[record.length];
        slice.duplicate().get(sent);
        intra.offer("k", slice, "x", 0L, false);
        assertThat(sink.dead).extracting(Fixtures.Dead::reason).containsExactly(Rejection.CORRUPT);
        assertThat(sink.deadValues.get(0)).as("the record, not the fetch around it").containsExactly(sent);
    }

    @Test
    void aSliceWaitingForItsPlanDoesNotDependOnTheFetchBuffer() {
        List<ByteBuffer> slices = new ArrayList<>();
        Rec.of(chunks(job, 1, 1, "a-0", 2, new float[] {1f})).forEach(r -> slices.add(inFetch(r.value())));
        Rec.of(chunks(job, 1, 1, "a-1", 3, new float[] {2f})).forEach(r -> slices.add(inFetch(r.value())));
        Rec.of(chunks(job, 1, 1, "a-2", 4, new float[] {4f})).forEach(r -> slices.add(inFetch(r.value())));
        for (ByteBuffer s : slices) {
            intra.offer(null, s, "x", 0L, false);
        }
        assertThat(intra.bufferedRecords()).isEqualTo(3);
        slices.forEach(s -> Arrays.fill(s.array(), (byte) 0)); // the consumer is free to reuse its buffers
        intra.onPlan(plan);
        assertThat(sink.dead).isEmpty();
        assertThat(sink.outputs).singleElement()
                .satisfies(o -> assertThat(TensorCodec.decode(o.record()).values()).containsExactly(7f));
    }

    /**
     * With this datacenter alone in the plan, the cross-DC stage would sum one FP32 partial and divide it by the same
     * samples: the intra-DC stage sends that average down itself, to the same bits, and commits the round. DiLoCo's
     * outer rounds still leave as partials, for the WAN codec.
     */
    @Test
    void aPlanWithThisDatacenterAloneSendsTheAverageDownFromTheIntraDcStage() {
        Plan alone = plan(job, 1, List.of("a"), List.of(device("a-2", "a", 2, 4), device("a-0", "a", 0, 2),
                device("a-1", "a", 1, 3)));
        intra.onPlan(alone);
        float[][] g = {gradient(TWO_CHUNKS, 11), gradient(TWO_CHUNKS, 12), gradient(TWO_CHUNKS, 13)};
        float[] expected = new float[TWO_CHUNKS];
        for (int i = 0; i < TWO_CHUNKS; i++) {
            expected[i] = ((g[0][i] + g[1][i]) + g[2][i]) / 9f;
        }
        for (int n : new int[] {2, 0, 1}) {
            Rec.of(chunks(job, 4, 1, "a-" + n, 2 + n, g[n])).forEach(r -> offer(intra, r));
        }

        assertThat(sink.outputs).hasSize(2).allMatch(Output::down).noneMatch(Output::soleDatacenter);
        TensorAssembler t = new TensorAssembler();
        for (Output o : sink.outputs) {
            assertThat(o.key()).isEqualTo(GradientHeaders.downKey(job, 4, o.chunkIndex()));
            Chunk c = TensorCodec.decode(o.record());
            assertThat(c.meta()).isEqualTo(new ChunkMeta(job, 4, 1, RoundAggregator.relaySender("a"), 9,
                    Codec.FP32));
            t.accept(c);
        }
        assertThat(bits(t.values())).isEqualTo(bits(expected));
        assertThat(sink.ledger).singleElement().satisfies(e -> {
            assertThat(e.status()).isEqualTo(io.crosstrain.contracts.RoundLedgerEntry.COMMITTED);
            assertThat(e.kind()).isEqualTo(io.crosstrain.contracts.RoundLedgerEntry.SYNC);
            assertThat(e.contributors()).containsExactly("a-0", "a-1", "a-2");
            assertThat(e.samples()).isEqualTo(9);
            assertThat(e.chunks()).isEqualTo(2);
        });
        assertThat(intra.isCommitted(job, 1, 4)).isTrue();
        Rec.of(chunks(job, 4, 1, "a-1", 3, g[1])).forEach(r -> offer(intra, r));
        assertThat(sink.duplicates).hasSize(2);
        assertThat(sink.outputs).hasSize(2);

        UUID dilocoJob = UUID.randomUUID();
        intra.onPlan(Fixtures.diloco(dilocoJob, 1, List.of("a"), List.of(device("a-0", "a", 0, 2)), 5, "fp32",
                List.of()));
        long outer = io.crosstrain.contracts.Rounds.outer(5);
        Rec.of(chunks(dilocoJob, outer, 1, "a-0", 2, new float[] {1f, 2f})).forEach(r -> offer(intra, r));
        assertThat(sink.outputs.get(2).down()).isFalse();
        assertThat(sink.outputs.get(2).soleDatacenter()).isTrue();
        assertThat(sink.outputs.get(2).key()).isEqualTo(GradientHeaders.wanKey(dilocoJob, outer, "a", 0));
    }

    @Test
    void crossDcAveragesInPlanOrderAndCountsForeignBytes() {
        Recorder down = new Recorder();
        RoundAggregator<String> cross = new RoundAggregator<>(Stage.CROSS_DC, "b", new Settings(100, 1 << 20),
                down);
        cross.onPlan(plan);
        float[] pa = gradient(TWO_CHUNKS, 11);
        float[] pb = gradient(TWO_CHUNKS, 12);
        List<Rec> fromA = Rec.of(chunks(job, 4, 1, "a", 9, pa));
        List<Rec> fromB = Rec.of(chunks(job, 4, 1, "b", 5, pb));
        // own partial first, though a comes first in plan order
        fromB.forEach(r -> offer(cross, r));
        fromA.forEach(r -> offer(cross, r));

        assertThat(down.outputs).hasSize(2);
        float[] expected = new float[TWO_CHUNKS];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (pa[i] + pb[i]) / 14f;
        }
        TensorAssembler t = new TensorAssembler();
        for (int i = 0; i < 2; i++) {
            Output o = down.outputs.get(i);
            Chunk c = TensorCodec.decode(o.record());
            assertThat(o.key()).isEqualTo(GradientHeaders.downKey(job, 4, c.chunkIndex()));
            assertThat(c.meta().sender()).isEqualTo("relay-b");
            assertThat(c.meta().sampleCount()).isEqualTo(14);
            assertThat(o.wanBytes()).isEqualTo(fromA.get(c.chunkIndex()).value().length);
            t.accept(c);
        }
        assertThat(bits(t.values())).isEqualTo(bits(expected));
    }

    @Test
    void crossDcReportsEachForeignPartialOnceAndTheRoundLatencyOnCommit() {
        Recorder down = new Recorder();
        long[] now = {10_000};
        RoundAggregator<String> cross = new RoundAggregator<>(Stage.CROSS_DC, "b", new Settings(100, 1 << 20),
                down).lateness(RoundAggregator.LatenessJudge.NEVER, () -> now[0]);
        cross.onPlan(plan);
        List<Rec> fromA = Rec.of(chunks(job, 4, 1, "a", 9, gradient(TWO_CHUNKS, 11)));
        List<Rec> fromB = Rec.of(chunks(job, 4, 1, "b", 5, gradient(TWO_CHUNKS, 12)));
        fromB.forEach(r -> offer(cross, r));
        now[0] += 250;
        offer(cross, fromA.get(0));
        offer(cross, fromA.get(0)); // a duplicate crosses no link again
        assertThat(down.latencies).isEmpty(); // one chunk of two went down
        now[0] += 50;
        offer(cross, fromA.get(1));

        assertThat(down.wan).containsExactly("a:" + fromA.get(0).value().length, "a:" + fromA.get(1).value().length);
        assertThat(down.ledger).hasSize(1);
        assertThat(down.latencies).containsExactly(300L);
    }

    @Test
    void crossDcStageIgnoresJobsItsDatacenterTakesNoPartIn() {
        Recorder down = new Recorder();
        RoundAggregator<String> cross = new RoundAggregator<>(Stage.CROSS_DC, "c", new Settings(100, 1 << 20),
                down);
        cross.onPlan(plan);
        Rec.of(chunks(job, 4, 1, "a", 9, new float[] {1f})).forEach(r -> offer(cross, r));
        assertThat(down.ignored).hasSize(1);
        assertThat(down.dead).isEmpty();
        assertThat(cross.openChunks()).isZero();
    }

    @Test
    void completedMemoryIsBounded() {
        RoundAggregator<String> a = new RoundAggregator<>(Stage.INTRA_DC, "b", new Settings(2, 1 << 20), sink);
        a.onPlan(plan); // datacenter b has one device: each chunk completes at once
        List<Rec> sent = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            Rec r = Rec.of(chunks(job, round, 1, "b-0", 5, new float[] {round})).get(0);
            sent.add(r);
            offer(a, r);
        }
        assertThat(sink.outputs).hasSize(3);
        offer(a, sent.get(2));
        offer(a, sent.get(1));
        assertThat(sink.duplicates).hasSize(2);
        assertThat(sink.outputs).hasSize(3);
    }

    static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }

    @Test
    void anOlderVersionStaysInEffectForTheRoundsBeforeTheNewStartStep() {
        intra.onPlan(plan);
        // version 2 (a rebalance) takes over from round 7; a-1 leaves datacenter a
        Plan v2 = new Plan(job, 2, "sync-dp", "balanced", Plan.EMULATED, 1.0, plan.model(), plan.dataset(), 100, 14,
                1e-3, 7L, 10, List.of("a", "b"), List.of(device("a-0", "a", 0, 5), device("a-2", "a", 1, 4),
                device("b-0", "b", 2, 5)), null, 7, "rebalance", false);
        Rec.of(chunks(job, 6, 1, "a-0", 2, new float[] {1f})).forEach(r -> offer(intra, r));
        intra.onPlan(v2);
        assertThat(intra.openChunks()).as("round 6 still runs under version 1").isEqualTo(1);

        Rec.of(chunks(job, 6, 1, "a-1", 3, new float[] {2f})).forEach(r -> offer(intra, r));
        Rec.of(chunks(job, 6, 1, "a-2", 4, new float[] {4f})).forEach(r -> offer(intra, r));
        assertThat(sink.outputs).hasSize(1);
        assertThat(TensorCodec.decode(sink.outputs.get(0).record()).values()).containsExactly(7f);

        // round 7 belongs to version 2: a version-1 chunk of it is stale, version-2 chunks aggregate
        Rec.of(chunks(job, 7, 1, "a-0", 2, new float[] {1f})).forEach(r -> offer(intra, r));
        assertThat(sink.dead).extracting(Fixtures.Dead::reason).containsExactly(Rejection.STALE_PLAN);
        Rec.of(chunks(job, 7, 2, "a-0", 5, new float[] {1f})).forEach(r -> offer(intra, r));
        Rec.of(chunks(job, 7, 2, "a-2", 4, new float[] {3f})).forEach(r -> offer(intra, r));
        assertThat(sink.outputs).hasSize(2);
        assertThat(TensorCodec.decode(sink.outputs.get(1).record()).meta().sampleCount()).isEqualTo(9);
    }

    @Test
    void aRecoveryVersionDropsTheStalledRoundOfTheOldOne() {
        intra.onPlan(plan);
        Rec.of(chunks(job, 4, 1, "a-0", 2, new float[] {1f})).forEach(r -> offer(intra, r));
        Rec.of(chunks(job, 4, 1, "a-1", 3, new float[] {1f})).forEach(r -> offer(intra, r));
        // a-2 died before sending round 4; the recovery version starts at the first uncommitted round
        Plan v2 = new Plan(job, 2, "sync-dp", "balanced", Plan.EMULATED, 1.0, plan.model(), plan.dataset(), 100, 14,
                1e-3, 7L, 10, List.of("a", "b"), List.of(device("a-0", "a", 0, 5), device("a-1", "a", 1, 4),
                device("b-0", "b", 2, 5)), null, 4, "lost [a-2]", true);
        intra.onPlan(v2);
        assertThat(intra.openChunks()).isZero();
        assertThat(sink.abandoned).isEqualTo(1);

        Rec.of(chunks(job, 4, 2, "a-0", 5, new float[] {1f})).forEach(r -> offer(intra, r));
        Rec.of(chunks(job, 4, 2, "a-1", 4, new float[] {2f})).forEach(r -> offer(intra, r));
        assertThat(sink.outputs).hasSize(1);
        assertThat(TensorCodec.decode(sink.outputs.get(0).record()).values()).containsExactly(3f);
    }

    @Test
    void theLatestEmulatedReadyTimeOfTheContributionsTravelsWithTheSum() {
        intra.onPlan(plan);
        List<Rec> a0 = Rec.of(chunks(job, 2, 1, "a-0", 2, new float[] {1f}));
        List<Rec> a1 = Rec.of(chunks(job, 2, 1, "a-1", 3, new float[] {1f}));
        List<Rec> a2 = Rec.of(chunks(job, 2, 1, "a-2", 4, new float[] {1f}));
        a0.forEach(r -> intra.offer(r.key(), r.value(), r.key(), 1_000L));
        a1.forEach(r -> intra.offer(r.key(), r.value(), r.key(), 3_000L));
        a2.forEach(r -> intra.offer(r.key(), r.value(), r.key(), 2_000L));
        assertThat(sink.outputs).singleElement().satisfies(o -> assertThat(o.readyAtMs()).isEqualTo(3_000L));
    }
}
