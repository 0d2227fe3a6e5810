package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.testsupport.RandomCases;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class StageTrainerTest {

    /** Four blocks, so that two and three stages can be split unevenly. */
    private static final ModelSpec MODEL = new ModelSpec(4, 32, 4, 16, 0);
    private static final double LR = 3e-3;
    private static Corpus corpus;

    @BeforeAll
    static void load() {
        corpus = Corpus.bundled("grammar-en");
    }

    /** A replica split into stages of {@code blocks} blocks, {@code batch} samples cut into {@code micro} parts. */
    record Split(int[] blocks, int batch, int micro, long seed) {
        @Override
        public String toString() {
            return "blocks " + Arrays.toString(blocks) + ", batch " + batch + " in " + micro + " micro-batches, seed "
                    + seed;
        }
    }

    private static Split randomSplit(SplittableRandom r) {
        int stages = RandomCases.between(r, 1, MODEL.layers());
        int[] blocks = new int[stages];
        Arrays.fill(blocks, 1);
        for (int extra = MODEL.layers() - stages; extra > 0; extra--) {
            blocks[r.nextInt(stages)]++;
        }
        int batch = RandomCases.between(r, 1, 7);
        return new Split(blocks, batch, RandomCases.between(r, 1, batch), r.nextLong(1, 1000));
    }

    private static StageTrainer.Batch batch(long seed, long step, int samples) {
        return DeviceTrainer.sample(corpus.tokens(), seed, step, 0, samples, MODEL.seqLen());
    }

    private static DeviceTrainer whole(long seed) {
        return new DeviceTrainer(MODEL, corpus.vocabSize(), seed, LR);
    }

    // ---- gradients ------------------------------------------------------------------------------------------------

    @Test
    void theStagesGradientsHandedBackThroughTheirInputsAreTheWholeModels() {
        List<Split> edges = List.of(
                new Split(new int[] {1, 3}, 6, 3, 1),       // two stages, uneven, 3 micro-batches of 2
                new Split(new int[] {3, 1}, 5, 2, 2),       // two stages, micro-batches of 3 and 2
                new Split(new int[] {1, 2, 1}, 8, 3, 3),    // three stages: 3, 3, 2
                new Split(new int[] {2, 1, 1}, 4, 4, 4),    // three stages, single-sample micro-batches
                new Split(new int[] {4}, 6, 3, 5),          // the whole model with gradient accumulation
                new Split(new int[] {1, 1, 1, 1}, 3, 1, 6)); // one micro-batch through four stages
        double[] worst = new double[2];
        RandomCases.check(edges, 6, StageTrainerTest::randomSplit, split -> {
            StageTrainer.Batch b = batch(split.seed(), 0, split.batch());
            try (DeviceTrainer reference = whole(split.seed());
                    Pipeline pipeline = Pipeline.of(MODEL, corpus.vocabSize(), split.seed(), LR, split.blocks())) {
                DeviceTrainer.StepResult expected = reference.forwardBackward(b);
                List<StageTrainer.Batch> micro = b.split(split.micro());
                double[] losses = pipeline.step(micro);
                float[] actual = pipeline.gradient(reference.parameterCount());

                Pipeline.Mismatch m = Pipeline.mismatch(expected.gradient(), actual);
                worst[0] = Math.max(worst[0], m.relativeNorm());
                worst[1] = Math.max(worst[1], m.maxAbs());
                assertThat(Pipeline.sameGradient(expected.gradient(), actual)).as("%s", m).isTrue();
                assertThat(Pipeline.stepLoss(losses, micro)).isCloseTo(expected.loss(), within(1e-5 * expected.loss()));

                // and the same inputs give the same bits, threads or not
                assertThat(pipeline.step(micro)).isEqualTo(losses);
                assertThat(pipeline.gradient(reference.parameterCount())).isEqualTo(actual);
            }
        });
        System.out.printf("pipelined vs whole gradient: worst relative distance %.3g, worst element %.3g%n",
                worst[0], worst[1]);
    }

    @Test
    void theComparisonCatchesAWrongOffsetAndAWrongScale() throws Exception {
        int d = MODEL.dModel();
        StageTrainer.Batch b = batch(7, 0, 6);
        try (DeviceTrainer reference = whole(7);
                Pipeline pipeline = Pipeline.of(MODEL, corpus.vocabSize(), 7, LR, 1, 2, 1)) {
            float[] expected = reference.forwardBackward(b).gradient();
            pipeline.step(b.split(3));
            assertThat(Pipeline.sameGradient(expected, pipeline.gradient(expected.length))).isTrue();
            // the later stages placed one layer-norm gain too early: what a worker with a wrong offset would send
            assertThat(Pipeline.sameGradient(expected, pipeline.gradient(expected.length,
                    t -> t.stage().first() ? 0 : t.parameterOffset() - d))).isFalse();
            // the offset of block b without the embeddings (a planner formula missing its first term)
            assertThat(Pipeline.sameGradient(expected, pipeline.gradient(expected.length,
                    t -> t.stage().first() ? 0 : t.stage().firstLayer() * StageRange.blockParameters(MODEL))))
                    .isFalse();
            // the gradient of the mean instead of the sum over samples (a backward seeded with 1, not m = 2)
            float[] seededWithOne = pipeline.gradient(expected.length);
            for (int i = 0; i < seededWithOne.length; i++) {
                seededWithOne[i] /= 2;
            }
            assertThat(Pipeline.sameGradient(expected, seededWithOne)).isFalse();
            // one micro-batch fewer in the accumulated sum
            float[] fewer = pipeline.gradient(expected.length);
            float[] micro0;
            try (DeviceTrainer alone = whole(7)) {
                micro0 = alone.forwardBackward(b.split(3).get(0)).gradient();
            }
            for (int i = 0; i < fewer.length; i++) {
                fewer[i] -= micro0[i];
            }
            assertThat(Pipeline.sameGradient(expected, fewer)).isFalse();
        }
    }

    // ---- training ---------------------------------------------------------------------------------------------

    @Test
    void tenPipelinedStepsTrainLikeTheWholeReplica() throws Exception {
        trainSideBySide(new int[] {1, 3}, 4);  // micro-batches of 2
        trainSideBySide(new int[] {1, 2, 1}, 3); // micro-batches of 3, 3, 2
    }

    private static void trainSideBySide(int[] blocks, int microBatches) throws Exception {
        int batch = 8;
        int steps = 10;
        long seed = 31;
        try (DeviceTrainer reference = whole(seed);
                Pipeline pipeline = Pipeline.of(MODEL, corpus.vocabSize(), seed, LR, blocks)) {
            float[] gradient = new float[reference.parameterCount()];
            double worstLoss = 0;
            for (int step = 0; step < steps; step++) {
                StageTrainer.Batch b = DeviceTrainer.sample(corpus.tokens(), seed, step, 0, batch, MODEL.seqLen());
                double expected = reference.forwardBackwardInto(b, gradient);
                for (int i = 0; i < gradient.length; i++) {
                    gradient[i] /= batch;
                }
                reference.applyUpdate(gradient);

                List<StageTrainer.Batch> micro = b.split(microBatches);
                double loss = Pipeline.stepLoss(pipeline.step(micro), micro);
                pipeline.applyAccumulated(1f / batch);

                worstLoss = Math.max(worstLoss, Math.abs(loss - expected) / expected);
                assertThat(loss).as("step %d", step).isCloseTo(expected, within(1e-4 * expected));
            }
            float[] expectedWeights = reference.weights();
            float[] weights = pipeline.weights(expectedWeights.length);
            Pipeline.Mismatch m = Pipeline.mismatch(expectedWeights, weights);
            // the largest difference and where it is
            int at = 0;
            for (int i = 0; i < weights.length; i++) {
                if (Math.abs(weights[i] - expectedWeights[i]) > Math.abs(weights[at] - expectedWeights[at])) {
                    at = i;
                }
            }
            System.out.printf("%s in %d micro-batches, %d steps: worst relative loss difference %.3g; weights: "
                            + "relative distance %.3g, max abs difference %.3g (at %s), max abs weight %.3g%n",
                    Arrays.toString(blocks), microBatches, steps, worstLoss, m.relativeNorm(), m.maxAbs(),
                    nameAt(reference, at), m.maxAbsExpected());
            assertThat(m.relativeNorm()).isLessThan(1e-5);
            assertThat(m.maxAbs()).isLessThan(1e-5);
        }
    }

    private static String nameAt(StageTrainer t, int index) {
        String name = null;
        for (var e : t.parameterOffsets().entrySet()) {
            if (e.getValue() <= index) {
                name = e.getKey() + "[" + (index - e.getValue()) + "]";
            }
        }
        return name;
    }

    // ---- the stage's range: update, weights, state -------------------------------------------------------------

    @Test
    void aStageUpdatesHashesAndCarriesStateExactlyAsItsRangeOfTheWholeModel() throws Exception {
        long seed = 12;
        int batch = 4;
        List<StageRange> ranges = Pipeline.ranges(MODEL, 1, 2, 1);
        try (DeviceTrainer reference = whole(seed);
                Pipeline pipeline = Pipeline.of(MODEL, corpus.vocabSize(), seed, LR, 1, 2, 1)) {
            int total = reference.parameterCount();
            assertThat(pipeline.weights(total)).isEqualTo(reference.weights());
            OuterOptimizer outerWhole = new OuterOptimizer(reference.weights(), 0.7, 0.9);
            List<OuterOptimizer> outerStages = pipeline.stages.stream()
                    .map(t -> new OuterOptimizer(t.weights(), 0.7, 0.9)).toList();
            // 12 updates: past the 10-step warm-up
            for (int step = 0; step < 12; step++) {
                float[] g = reference.forwardBackward(batch(seed, step, batch)).gradient();
                for (int i = 0; i < g.length; i++) {
                    g[i] /= batch;
                }
                reference.applyUpdate(g);
                for (StageTrainer t : pipeline.stages) {
                    t.applyUpdate(range(g, t));
                }
            }
            float[] w = reference.weights();
            DeviceTrainer.State state = reference.exportState();
            float[] delta = outerWhole.pseudoGradient(w);
            float[] nextGlobal = outerWhole.step(delta);
            for (int s = 0; s < ranges.size(); s++) {
                StageTrainer t = pipeline.stages.get(s);
                assertThat(t.stage()).isEqualTo(ranges.get(s));
                // AdamW is elementwise: the stage's update is the whole update restricted to its range, bit for bit
                assertThat(t.weights()).isEqualTo(range(w, t));
                assertThat(t.weightsHash()).isEqualTo(sha256(range(w, t)));
                StageTrainer.State part = t.exportState();
                assertThat(part.updates()).isEqualTo(12);
                assertThat(part.weights()).isEqualTo(range(state.weights(), t));
                assertThat(part.means()).isEqualTo(range(state.means(), t));
                assertThat(part.variances()).isEqualTo(range(state.variances(), t));
                // DiLoCo's outer step takes the range as it is
                assertThat(outerStages.get(s).pseudoGradient(t.weights())).isEqualTo(range(delta, t));
                assertThat(outerStages.get(s).step(range(delta, t))).isEqualTo(range(nextGlobal, t));
            }
            // a fresh stage that imports the state continues bit for bit
            StageTrainer middle = pipeline.stages.get(1);
            try (StageTrainer joiner = new StageTrainer(MODEL, corpus.vocabSize(), 99, LR, middle.stage())) {
                joiner.importState(middle.exportState());
                for (int step = 12; step < 14; step++) {
                    float[] g = reference.forwardBackward(batch(seed, step, batch)).gradient();
                    for (int i = 0; i < g.length; i++) {
                        g[i] /= batch;
                    }
                    reference.applyUpdate(g);
                    middle.applyUpdate(range(g, middle));
                    joiner.applyUpdate(range(g, middle));
                }
                assertThat(joiner.weightsHash()).isEqualTo(middle.weightsHash())
                        .isEqualTo(sha256(range(reference.weights(), middle)));
                assertThatThrownBy(() -> joiner.importState(middle.exportState()))
                        .isInstanceOf(IllegalStateException.class);
            }
            assertThatThrownBy(() -> middle.applyUpdate(new float[total]))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    private static float[] range(float[] whole, StageTrainer t) {
        int from = Math.toIntExact(t.parameterOffset());
        return Arrays.copyOfRange(whole, from, from + t.parameterCount());
    }

    private static String sha256(float[] values) throws Exception {
        ByteBuffer le = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        le.asFloatBuffer().put(values);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(le.array()));
    }

    // ---- passes, misuse and memory ------------------------------------------------------------------------------

    @Test
    void passesAreCheckedAndEveryMicroBatchReleasesItsArrays() {
        List<StageRange> ranges = Pipeline.ranges(MODEL, 2, 2);
        StageTrainer.Batch b = batch(3, 0, 4);
        List<StageTrainer.Batch> micro = b.split(2);
        int activations = 2 * MODEL.seqLen() * MODEL.dModel();
        try (StageTrainer first = new StageTrainer(MODEL, corpus.vocabSize(), 3, LR, ranges.get(0));
                StageTrainer last = new StageTrainer(MODEL, corpus.vocabSize(), 3, LR, ranges.get(1))) {
            assertThatThrownBy(() -> first.forward(micro.get(0), new float[activations]))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> last.forward(micro.get(0))).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> last.forward(micro.get(0), new float[activations - 1]))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(first::backward).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> last.backward(new float[activations]))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> first.backward(new float[activations]))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("no micro-batch");

            int idleFirst = first.manager.getManagedArrays().size();
            int idleLast = last.manager.getManagedArrays().size();
            first.beginStep();
            last.beginStep();
            StageTrainer.Output a0 = first.forward(micro.get(0));
            assertThat(a0.activations()).hasSize(activations);
            assertThat(a0.loss()).isNaN();
            StageTrainer.Output a1 = first.forward(micro.get(1));
            assertThat(first.inFlight()).isEqualTo(2);
            assertThat(first.manager.getManagedArrays().size()).isGreaterThan(idleFirst);
            assertThatThrownBy(() -> first.exportGradient(new float[first.parameterCount()]))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> first.applyUpdate(new float[first.parameterCount()]))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(first::beginStep).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> first.backward(new float[activations - 1]))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(first.inFlight()).as("a rejected backward leaves the micro-batch in flight").isEqualTo(2);

            StageTrainer.Output out0 = last.forward(micro.get(0), a0.activations());
            assertThat(out0.activations()).isNull();
            assertThat(out0.loss()).isBetween(0.5 * Math.log(corpus.vocabSize()), 1.5 * Math.log(corpus.vocabSize()));
            float[] g0 = last.backward();
            assertThat(g0).hasSize(activations);
            assertThat(first.backward(g0)).isNull();
            last.forward(micro.get(1), a1.activations());
            first.backward(last.backward());
            assertThat(first.inFlight()).isZero();
            assertThat(last.inFlight()).isZero();
            assertThat(first.manager.getManagedArrays()).hasSize(idleFirst);
            assertThat(last.manager.getManagedArrays()).hasSize(idleLast);

            // an abandoned step releases its micro-batches too, and so does close
            first.beginStep();
            first.forward(micro.get(0));
            first.abortStep();
            assertThat(first.inFlight()).isZero();
            assertThat(first.manager.getManagedArrays()).hasSize(idleFirst);
            float[] zero = new float[first.parameterCount()];
            first.exportGradient(zero);
            assertThat(zero).containsOnly(0f);
            first.forward(micro.get(1));
        }
        // closing with a micro-batch in flight is fine; a closed trainer refuses work
        StageTrainer closed = new StageTrainer(MODEL, corpus.vocabSize(), 3, LR, ranges.get(0));
        closed.close();
        assertThatThrownBy(() -> closed.forward(micro.get(0))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theWholeReplicaAccumulatesMicroBatchesThroughTheSameApi() {
        StageTrainer.Batch b = batch(5, 0, 6);
        try (DeviceTrainer t = whole(5)) {
            float[] expected = t.forwardBackward(b).gradient();
            t.beginStep();
            double sum = 0;
            for (StageTrainer.Batch m : b.split(4)) { // 2, 2, 1, 1
                StageTrainer.Output out = t.forward(m);
                sum += out.loss() * m.batchSize();
                assertThat(t.backward()).isNull();
            }
            float[] accumulated = new float[t.parameterCount()];
            t.exportGradient(accumulated);
            assertThat(Pipeline.sameGradient(expected, accumulated)).isTrue();
            assertThat(sum / 6).isCloseTo(t.evaluate(b), within(1e-5));
            assertThat(t.parameterOffset()).isZero();
            assertThat(t.stage().whole()).isTrue();
        }
    }

    @Test
    void batchesSplitIntoMicroBatchesOfSizesDifferingByOneAtMost() {
        StageTrainer.Batch b = batch(1, 0, 8);
        List<StageTrainer.Batch> parts = b.split(3);
        assertThat(parts).extracting(StageTrainer.Batch::batchSize).containsExactly(3, 3, 2);
        List<Integer> inputs = new ArrayList<>();
        for (StageTrainer.Batch p : parts) {
            Arrays.stream(p.inputs()).forEach(inputs::add);
        }
        assertThat(inputs).containsExactlyElementsOf(Arrays.stream(b.inputs()).boxed().toList());
        assertThat(b.split(1)).singleElement().satisfies(p -> assertThat(p.targets()).isEqualTo(b.targets()));
        assertThatThrownBy(() -> b.split(9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.slice(7, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
