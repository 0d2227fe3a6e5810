package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

import io.crosstrain.contracts.ModelSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DeviceTrainerTest {

    private static final ModelSpec SMALL = new ModelSpec(2, 32, 4, 24, 0);
    private static Corpus corpus;

    @BeforeAll
    static void load() {
        corpus = Corpus.bundled("grammar-en");
    }

    private static DeviceTrainer small(long seed) {
        return new DeviceTrainer(SMALL, corpus.vocabSize(), seed, 3e-3);
    }

    @Test
    void sameSeedSameWeightsDifferentSeedDifferentWeights() {
        try (DeviceTrainer a = small(5); DeviceTrainer b = small(5); DeviceTrainer c = small(6)) {
            assertThat(a.weightsHash()).isEqualTo(b.weightsHash()).hasSize(64);
            assertThat(c.weightsHash()).isNotEqualTo(a.weightsHash());
            assertThat(a.parameterCount()).isEqualTo((int) SMALL.parameters(corpus.vocabSize()));
            assertThat(a.weights()).isEqualTo(b.weights());
        }
    }

    @Test
    void samplingIsDeterministicAndShiftsTargets() {
        int[] tokens = corpus.tokens();
        DeviceTrainer.Batch b1 = DeviceTrainer.sample(tokens, 1, 10, 2, 4, 16);
        DeviceTrainer.Batch b2 = DeviceTrainer.sample(tokens, 1, 10, 2, 4, 16);
        DeviceTrainer.Batch other = DeviceTrainer.sample(tokens, 1, 10, 3, 4, 16);
        assertThat(b1.inputs()).isEqualTo(b2.inputs());
        assertThat(b1.targets()).isEqualTo(b2.targets());
        assertThat(other.inputs()).isNotEqualTo(b1.inputs());
        for (int row = 0; row < 4; row++) {
            assertThat(Arrays.copyOfRange(b1.targets(), row * 16, row * 16 + 15))
                    .isEqualTo(Arrays.copyOfRange(b1.inputs(), row * 16 + 1, row * 16 + 16));
        }
        assertThatThrownBy(() -> DeviceTrainer.sample(new int[5], 1, 0, 0, 1, 5))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void gradientsAreWeightedByBatchSoHalvesSumToTheWhole() {
        DeviceTrainer.Batch whole = DeviceTrainer.sample(corpus.tokens(), 3, 0, 0, 4, SMALL.seqLen());
        DeviceTrainer.Batch first = half(whole, 0);
        DeviceTrainer.Batch second = half(whole, 1);
        try (DeviceTrainer t = small(11)) {
            DeviceTrainer.StepResult all = t.forwardBackward(whole);
            DeviceTrainer.StepResult h1 = t.forwardBackward(first);
            DeviceTrainer.StepResult h2 = t.forwardBackward(second);
            // losses are means, so the whole batch is the average of its halves
            assertThat(all.loss()).isCloseTo((h1.loss() + h2.loss()) / 2, offset(1e-5));
            // scaled gradients add up: 4·g(whole) = 2·g(first) + 2·g(second), i.e. gradient sums divided by the
            // global batch give the global mean gradient
            double diff = 0;
            double norm = 0;
            for (int i = 0; i < all.gradient().length; i++) {
                double sum = (double) h1.gradient()[i] + h2.gradient()[i];
                diff += (all.gradient()[i] - sum) * (all.gradient()[i] - sum);
                norm += (double) all.gradient()[i] * all.gradient()[i];
            }
            assertThat(Math.sqrt(norm)).isGreaterThan(0.0);
            assertThat(Math.sqrt(diff) / Math.sqrt(norm)).isLessThan(1e-4);
            // and a repeated computation gives the same bits (no stale gradient accumulation)
            assertThat(t.forwardBackward(whole).gradient()).isEqualTo(all.gradient());
        }
    }

    @Test
    void applyUpdateIsBitDeterministicAcrossInstances() {
        try (DeviceTrainer worker = small(21); DeviceTrainer a = small(1); DeviceTrainer b = small(1)) {
            for (int step = 0; step < 3; step++) {
                DeviceTrainer.Batch batch = DeviceTrainer.sample(corpus.tokens(), 9, step, 0, 4, SMALL.seqLen());
                float[] g = worker.forwardBackward(batch).gradient();
                for (int i = 0; i < g.length; i++) {
                    g[i] /= 4;
                }
                worker.applyUpdate(g);
                a.applyUpdate(g);
                b.applyUpdate(g);
            }
            assertThat(a.weightsHash()).isEqualTo(b.weightsHash());
            assertThat(a.weightsHash()).isNotEqualTo(small(1).weightsHash());
        }
    }

    @Test
    void bareStepDoesTheSameMathAsTheExportedPath() {
        try (DeviceTrainer bare = small(4); DeviceTrainer exported = small(4)) {
            float[] gradient = new float[exported.parameterCount()];
            for (int step = 0; step < 3; step++) {
                // batch 8 is a power of two, so scaling by it and dividing again is exact
                DeviceTrainer.Batch batch = DeviceTrainer.sample(corpus.tokens(), 2, step, 0, 8, SMALL.seqLen());
                double bareLoss = bare.bareStep(batch);
                double loss = exported.forwardBackwardInto(batch, gradient);
                for (int i = 0; i < gradient.length; i++) {
                    gradient[i] /= 8;
                }
                exported.applyUpdate(gradient);
                assertThat(loss).isEqualTo(bareLoss);
            }
            assertThat(exported.weightsHash()).isEqualTo(bare.weightsHash());
        }
    }

    @Test
    void replicasOnSeveralThreadsTrainAsIfAlone() throws Exception {
        // the worker hosts several emulated devices per JVM: concurrent trainers must neither clash in DJL's
        // gradient collector nor change each other's numbers
        String[] alone = new String[2];
        for (int r = 0; r < 2; r++) {
            alone[r] = trainFewSteps(r);
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<String>> together = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                int rank = r;
                together.add(pool.submit(() -> trainFewSteps(rank)));
            }
            for (int r = 0; r < 2; r++) {
                assertThat(together.get(r).get(60, TimeUnit.SECONDS)).isEqualTo(alone[r]);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static String trainFewSteps(int rank) {
        try (DeviceTrainer t = small(40 + rank)) {
            float[] g = new float[t.parameterCount()];
            for (int step = 0; step < 4; step++) {
                t.forwardBackwardInto(DeviceTrainer.sample(corpus.tokens(), 8, step, rank, 4, SMALL.seqLen()), g);
                for (int i = 0; i < g.length; i++) {
                    g[i] /= 4;
                }
                t.applyUpdate(g);
                t.evaluate(DeviceTrainer.sample(corpus.tokens(), 9, step, rank, 2, SMALL.seqLen()));
            }
            return t.weightsHash();
        }
    }

    @Test
    void weightsRoundTripAndLoadedWeightsAreUsed() {
        try (DeviceTrainer a = small(1); DeviceTrainer b = small(2)) {
            DeviceTrainer.Batch batch = DeviceTrainer.sample(corpus.tokens(), 1, 0, 0, 2, SMALL.seqLen());
            assertThat(b.evaluate(batch)).isNotEqualTo(a.evaluate(batch));
            b.loadWeights(a.weights());
            assertThat(b.weightsHash()).isEqualTo(a.weightsHash());
            assertThat(b.evaluate(batch)).isEqualTo(a.evaluate(batch));
            assertThatThrownBy(() -> b.loadWeights(new float[3])).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void gradientsMatchFiniteDifferencesForEveryParameter() {
        DeviceTrainer.Batch batch = DeviceTrainer.sample(corpus.tokens(), 5, 0, 0, 4, SMALL.seqLen());
        try (DeviceTrainer t = small(3)) {
            for (int step = 0; step < 5; step++) { // move away from the symmetric initial point first
                t.bareStep(DeviceTrainer.sample(corpus.tokens(), 3, step, 0, 8, SMALL.seqLen()));
            }
            float[] g = t.forwardBackward(batch).gradient();
            float[] w = t.weights();
            List<Map.Entry<String, Integer>> params = new ArrayList<>(t.parameterOffsets().entrySet());
            for (int p = 0; p < params.size(); p++) {
                int from = params.get(p).getValue();
                int to = p + 1 < params.size() ? params.get(p + 1).getValue() : g.length;
                // directional derivative along this parameter's gradient: (L(w+hu) - L(w-hu)) / 2h = |g|
                double norm = 0;
                for (int i = from; i < to; i++) {
                    norm += (double) g[i] / 4 * g[i] / 4;
                }
                norm = Math.sqrt(norm);
                double h = 1e-2;
                float[] plus = w.clone();
                float[] minus = w.clone();
                for (int i = from; i < to; i++) {
                    plus[i] += (float) (h * g[i] / 4 / norm);
                    minus[i] -= (float) (h * g[i] / 4 / norm);
                }
                t.loadWeights(plus);
                double lossPlus = t.evaluate(batch);
                t.loadWeights(minus);
                double lossMinus = t.evaluate(batch);
                double numeric = (lossPlus - lossMinus) / (2 * h);
                // 2 % plus the float32 noise of a loss difference over 2h (~1e-6 / 2e-2)
                assertThat(numeric).as(params.get(p).getKey()).isCloseTo(norm, offset(0.02 * norm + 2e-4));
            }
            t.loadWeights(w);
        }
    }

    @Test
    void trainingTheDemoModelLowersTheLossClearly() {
        ModelSpec demo = ModelSpec.demo();
        int[] tokens = corpus.tokens();
        double[] losses = new double[60];
        DeviceTrainer.Batch[] heldOut = new DeviceTrainer.Batch[3];
        for (int i = 0; i < heldOut.length; i++) {
            heldOut[i] = DeviceTrainer.sample(tokens, 999, i, 7, 16, demo.seqLen());
        }
        try (DeviceTrainer t = new DeviceTrainer(demo, corpus.vocabSize(), 17, 3e-3)) {
            double before = Arrays.stream(heldOut).mapToDouble(t::evaluate).average().orElseThrow();
            float[] gradient = new float[t.parameterCount()];
            for (int step = 0; step < losses.length; step++) {
                DeviceTrainer.Batch batch = DeviceTrainer.sample(tokens, 17, step, 0, 16, demo.seqLen());
                losses[step] = t.forwardBackwardInto(batch, gradient);
                for (int i = 0; i < gradient.length; i++) {
                    gradient[i] /= 16;
                }
                t.applyUpdate(gradient);
            }
            double first = Arrays.stream(losses, 0, 5).average().orElseThrow();
            double last = Arrays.stream(losses, 50, 60).average().orElseThrow();
            double after = Arrays.stream(heldOut).mapToDouble(t::evaluate).average().orElseThrow();
            System.out.printf("demo model: training loss first-5 mean %.3f, last-10 mean %.3f; held-out %.3f -> %.3f%n",
                    first, last, before, after);
            assertThat(before).isCloseTo(Math.log(corpus.vocabSize()), offset(0.2));
            assertThat(last).isLessThan(first - 0.5);
            assertThat(after).isLessThan(before - 1.0);

            String sample = t.generate(corpus.tokenizer(), "The ", 80, 0.8, 3);
            System.out.println("sample after 60 steps: The " + sample.replace('\n', ' '));
            assertThat(sample).hasSize(80);
            assertThat(t.generate(corpus.tokenizer(), "The ", 80, 0.8, 3)).isEqualTo(sample);
            assertThat(corpus.tokenizer().canEncode(sample)).isTrue();
        }
    }

    @Test
    void topKSamplesOnlyAmongTheMostLikelyCharacters() {
        try (DeviceTrainer t = small(4)) {
            for (int step = 0; step < 5; step++) {
                t.bareStep(DeviceTrainer.sample(corpus.tokens(), 4, step, 0, 8, SMALL.seqLen()));
            }
            String greedy = t.generate(corpus.tokenizer(), "The ", 40, 0, 4);
            // the one most likely character at any temperature is the greedy choice
            assertThat(t.generate(corpus.tokenizer(), "The ", 40, 2.0, 1, 99)).isEqualTo(greedy);
            String all = t.generate(corpus.tokenizer(), "The ", 40, 2.0, 5);
            assertThat(t.generate(corpus.tokenizer(), "The ", 40, 2.0, corpus.vocabSize(), 5)).isEqualTo(all);
            assertThat(t.generate(corpus.tokenizer(), "The ", 40, 2.0, 0, 5)).isEqualTo(all);
            assertThatThrownBy(() -> t.generate(corpus.tokenizer(), "x", 1, 1.0, corpus.vocabSize() + 1, 1))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void cpuCostPerSampleOfTheDemoModel() {
        double seconds = CpuCalibration.cpuSecondsPerSample(ModelSpec.demo(), corpus.vocabSize(), 8, 4);
        System.out.printf("cpuSecondsPerSample(ModelSpec.demo(), vocab %d, batch 8) = %.5f s (%.1f samples/s, "
                        + "%.2f GFLOP/s)%n", corpus.vocabSize(), seconds, 1 / seconds,
                ModelSpec.demo().flopsPerSample(corpus.vocabSize()) / seconds / 1e9);
        assertThat(seconds).isPositive().isLessThan(5.0);
    }

    @Test
    void rejectsMismatchedInputs() {
        try (DeviceTrainer t = small(1)) {
            assertThatThrownBy(() -> t.forwardBackwardInto(
                    DeviceTrainer.sample(corpus.tokens(), 1, 0, 0, 2, SMALL.seqLen()), new float[10]))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> t.applyUpdate(new float[10])).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> t.evaluate(DeviceTrainer.sample(corpus.tokens(), 1, 0, 0, 1, 100)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("seqLen");
            int[] bad = new int[SMALL.seqLen()];
            bad[0] = 1_000;
            assertThatThrownBy(() -> t.evaluate(new DeviceTrainer.Batch(bad, bad, 1, SMALL.seqLen())))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocabulary");
            assertThatThrownBy(() -> new DeviceTrainer(SMALL, 10, 1, -1))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aFreshReplicaThatImportsTheStateContinuesBitForBitLikeTheExportingOne() {
        int[] tokens = corpus.tokens();
        try (DeviceTrainer a = small(5); DeviceTrainer joiner = small(99); DeviceTrainer withoutState = small(99)) {
            // 12 updates: past the 10-step warm-up, so the learning-rate schedule is exercised too
            for (int step = 1; step <= 12; step++) {
                DeviceTrainer.StepResult r = a.forwardBackward(DeviceTrainer.sample(tokens, 5, step, 0, 4,
                        SMALL.seqLen()));
                a.applyUpdate(scaled(r.gradient(), 0.25f));
            }
            DeviceTrainer.State state = a.exportState();
            assertThat(state.updates()).isEqualTo(12);
            joiner.importState(state);
            withoutState.loadWeights(state.weights());
            assertThat(joiner.weightsHash()).isEqualTo(a.weightsHash());
            // a replica that imported but has not stepped yet exports the same state again
            DeviceTrainer.State again = joiner.exportState();
            assertThat(again.means()).isEqualTo(state.means());
            assertThat(again.variances()).isEqualTo(state.variances());
            assertThat(again.updates()).isEqualTo(state.updates());

            for (int step = 13; step <= 15; step++) {
                DeviceTrainer.StepResult r = a.forwardBackward(DeviceTrainer.sample(tokens, 5, step, 0, 4,
                        SMALL.seqLen()));
                float[] update = scaled(r.gradient(), 0.25f);
                a.applyUpdate(update);
                joiner.applyUpdate(update);
                withoutState.applyUpdate(update);
            }
            assertThat(joiner.weightsHash()).isEqualTo(a.weightsHash());
            assertThat(withoutState.weightsHash()).as("weights alone are not enough").isNotEqualTo(a.weightsHash());
            assertThatThrownBy(() -> joiner.importState(state)).isInstanceOf(IllegalStateException.class);
        }
    }

    private static float[] scaled(float[] v, float factor) {
        float[] out = v.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= factor;
        }
        return out;
    }

    private static DeviceTrainer.Batch half(DeviceTrainer.Batch b, int which) {
        int n = b.batchSize() / 2 * b.seqLen();
        return new DeviceTrainer.Batch(Arrays.copyOfRange(b.inputs(), which * n, which * n + n),
                Arrays.copyOfRange(b.targets(), which * n, which * n + n), b.batchSize() / 2, b.seqLen());
    }
}
