package io.crosstrain.worker.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.codec.TensorCodec;
import io.crosstrain.training.DeviceTrainer;

/**
 * The model state on the compacted topic in ranges: whatever ranges the replicas publish (a whole replica's, the
 * stages of any split), a device whose range is any other gets exactly its slice, bit for bit, and nothing else.
 */
class ModelStateCodecTest {

    /** More than two chunks of FP32, so a range spans several chunks and chunk borders fall inside the ranges. */
    private static final int TOTAL = 300_001;
    private static final int A = 100_003;
    private static final int B = 250_000;
    private static final long ROUND = 41;

    private final UUID job = UUID.randomUUID();
    private final ModelStateCodec.Snapshot whole = randomSnapshot(new Random(11), TOTAL, 17, 3);

    private static ModelStateCodec.Snapshot randomSnapshot(Random rnd, int n, int updates, int outerSteps) {
        return new ModelStateCodec.Snapshot(new DeviceTrainer.State(updates, random(rnd, n), random(rnd, n),
                random(rnd, n)), new ModelStateCodec.OuterState(random(rnd, n), random(rnd, n), outerSteps));
    }

    private static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    /** The state of {@code [from, to)} as one replica holding that range publishes it. */
    private List<ModelStateCodec.Record> published(UUID jobId, long round, int from, int to) {
        ModelStateCodec.Snapshot piece = ModelStateCodec.slice(whole, from, to - from);
        return ModelStateCodec.encodeRange(jobId, 1, round, from, TOTAL, piece.trainer(), piece.outer());
    }

    private List<ModelStateCodec.Record> split() {
        List<ModelStateCodec.Record> out = new ArrayList<>(published(job, ROUND, 0, A));
        out.addAll(published(job, ROUND, A, B));
        out.addAll(published(job, ROUND, B, TOTAL));
        return out;
    }

    private static ModelStateCodec.RangeAssembler fed(ModelStateCodec.RangeAssembler a,
                                                      List<ModelStateCodec.Record> records) {
        List<ModelStateCodec.Record> shuffled = new ArrayList<>(records);
        Collections.shuffle(shuffled, new Random(5));
        shuffled.forEach(r -> a.accept(r.value()));
        return a;
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    /** Every vector of the assembled snapshot is exactly {@code whole}'s elements {@code [from, from + count)}. */
    private void assertSlice(ModelStateCodec.Snapshot got, int from, int count, boolean outer) {
        ModelStateCodec.Snapshot want = ModelStateCodec.slice(whole, from, count);
        assertThat(got.trainer().updates()).isEqualTo(17);
        assertThat(bits(got.trainer().weights())).as("weights of %d+%d", from, count)
                .isEqualTo(bits(want.trainer().weights()));
        assertThat(bits(got.trainer().means())).isEqualTo(bits(want.trainer().means()));
        assertThat(bits(got.trainer().variances())).isEqualTo(bits(want.trainer().variances()));
        if (outer) {
            assertThat(got.outer().steps()).isEqualTo(3);
            assertThat(bits(got.outer().global())).isEqualTo(bits(want.outer().global()));
            assertThat(bits(got.outer().velocity())).isEqualTo(bits(want.outer().velocity()));
        }
    }

    @Test
    void anyWantedRangeIsCutExactlyFromThreePublishedRangesOrFromTheWholeState() {
        List<ModelStateCodec.Record> whole = ModelStateCodec.encode(job, 1, ROUND, this.whole.trainer(),
                this.whole.outer());
        // straddling one border, both borders, inside one range, ending on a border, everything
        int[][] wanted = {{A - 1_000, 5_000}, {50_000, 230_000}, {A + 10, 7}, {B, TOTAL - B}, {0, TOTAL}, {0, 1}};
        for (List<ModelStateCodec.Record> published : List.of(split(), whole)) {
            for (int[] w : wanted) {
                ModelStateCodec.RangeAssembler a = fed(new ModelStateCodec.RangeAssembler(job, ROUND, w[0], w[1],
                        true), published);
                assertThat(a.complete()).as("%d+%d", w[0], w[1]).isTrue();
                assertSlice(a.snapshot(), w[0], w[1], true);
            }
        }
    }

    @Test
    void overlappingRangesOfDifferentSplitsAndALocalPieceCombine() {
        // [0, B) held on this node, the rest from a whole replica and a stage of another split
        List<ModelStateCodec.Record> records = new ArrayList<>(published(job, ROUND, A, TOTAL));
        records.addAll(ModelStateCodec.encode(job, 1, ROUND, whole.trainer(), null));
        ModelStateCodec.RangeAssembler a = new ModelStateCodec.RangeAssembler(job, ROUND, 1_000, TOTAL - 2_000,
                false);
        a.offer(0, ModelStateCodec.slice(whole, 0, B));
        fed(a, records);
        assertThat(a.complete()).isTrue();
        assertSlice(a.snapshot(), 1_000, TOTAL - 2_000, false);

        // a piece this node holds is enough on its own when it covers the range: no record needed
        ModelStateCodec.RangeAssembler local = new ModelStateCodec.RangeAssembler(job, ROUND, A, 10, true);
        local.offer(0, ModelStateCodec.slice(whole, 0, B));
        assertThat(local.complete()).isTrue();
        assertSlice(local.snapshot(), A, 10, true);
    }

    @Test
    void aMissingRangeOrChunkKeepsTheWantedRangeIncomplete() {
        List<ModelStateCodec.Record> withoutMiddle = new ArrayList<>(published(job, ROUND, 0, A));
        withoutMiddle.addAll(published(job, ROUND, B, TOTAL));
        ModelStateCodec.RangeAssembler straddling = fed(new ModelStateCodec.RangeAssembler(job, ROUND, A - 10, 20,
                false), withoutMiddle);
        assertThat(straddling.complete()).isFalse();
        // what the ranges it has cover completes
        assertThat(fed(new ModelStateCodec.RangeAssembler(job, ROUND, 0, A, false), withoutMiddle).complete())
                .isTrue();

        // one chunk of one vector missing: the range it holds is not complete, so the wanted one is not covered
        List<ModelStateCodec.Record> all = split();
        List<ModelStateCodec.Record> lacking = all.stream()
                .filter(r -> !r.key().equals(job + ":state-variances@" + A + "+" + (B - A) + ":1")).toList();
        assertThat(lacking).hasSize(all.size() - 1);
        ModelStateCodec.RangeAssembler a = fed(new ModelStateCodec.RangeAssembler(job, ROUND, 0, TOTAL, false),
                lacking);
        assertThat(a.complete()).isFalse();
        // the outer state is wanted only when asked for
        ModelStateCodec.RangeAssembler outer = fed(new ModelStateCodec.RangeAssembler(job, ROUND, 0, TOTAL, true),
                ModelStateCodec.encode(job, 1, ROUND, whole.trainer(), null));
        assertThat(outer.complete()).isFalse();
    }

    @Test
    void corruptForeignAndOtherRoundChunksAreIgnored() {
        UUID other = UUID.randomUUID();
        List<ModelStateCodec.Record> records = split();
        ModelStateCodec.RangeAssembler a = new ModelStateCodec.RangeAssembler(job, ROUND, 0, TOTAL, true);
        // another job's and another round's state of the same ranges, and a corrupted copy of every record
        for (ModelStateCodec.Record r : published(other, ROUND, 0, TOTAL)) {
            assertThat(a.accept(r.value())).isFalse();
        }
        for (ModelStateCodec.Record r : published(job, ROUND + 1, 0, A)) {
            assertThat(a.accept(r.value())).isFalse();
        }
        for (ModelStateCodec.Record r : records) {
            byte[] bad = r.value().clone();
            bad[bad.length / 2] ^= 0x5a;
            assertThat(a.accept(bad)).isFalse();
        }
        assertThat(a.accept(new byte[] {1, 2, 3})).isFalse();
        assertThat(a.accept(null)).isFalse();
        assertThat(a.complete()).isFalse();

        records.forEach(r -> assertThat(a.accept(r.value())).isTrue());
        assertThat(a.accept(records.get(0).value())).as("a duplicate").isFalse();
        assertThat(a.complete()).isTrue();
        assertSlice(a.snapshot(), 0, TOTAL, true);
    }

    @Test
    void everyRangeHasItsOwnKeysAndTheWholeStaysReadableByTheWholeStateAssembler() {
        List<ModelStateCodec.Record> ranged = split();
        List<ModelStateCodec.Record> whole = published(job, ROUND, 0, TOTAL);
        List<String> keys = new ArrayList<>();
        ranged.forEach(r -> keys.add(r.key()));
        whole.forEach(r -> keys.add(r.key()));
        assertThat(keys).doesNotHaveDuplicates().allMatch(k -> k.startsWith(job + ":"));
        assertThat(TensorCodec.peekMeta(ranged.get(0).value()).sender()).isEqualTo("state-weights@0+" + A);

        // a whole replica's range is the whole state: a joiner reading whole states finds it
        ModelStateCodec.Assembler legacy = new ModelStateCodec.Assembler(job, ROUND, true);
        whole.forEach(r -> legacy.accept(r.value()));
        assertThat(legacy.complete()).isTrue();
        assertThat(bits(legacy.snapshot().trainer().weights())).isEqualTo(bits(this.whole.trainer().weights()));
        // ranged records are not a whole state
        ModelStateCodec.Assembler notWhole = new ModelStateCodec.Assembler(job, ROUND);
        ranged.forEach(r -> notWhole.accept(r.value()));
        assertThat(notWhole.complete()).isFalse();
    }
}
