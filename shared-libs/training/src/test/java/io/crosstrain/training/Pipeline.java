package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.crosstrain.contracts.ModelSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * Test harness: one replica split into stages, each stage on a thread of its own running the 1F1B order of its
 * micro-batch passes, activations and their gradients handed over through queues as a worker would send them.
 */
final class Pipeline implements AutoCloseable {

    /** One pass of a stage's schedule: forward or backward of micro-batch {@code micro}. */
    record Pass(boolean forward, int micro) {
        @Override
        public String toString() {
            return (forward ? "F" : "B") + micro;
        }
    }

    /** How far two flat vectors are apart. */
    record Mismatch(double relativeNorm, double maxAbs, double maxAbsExpected) {
    }

    final List<StageTrainer> stages;
    private final ExecutorService threads;

    Pipeline(List<StageTrainer> stages) {
        this.stages = List.copyOf(stages);
        this.threads = Executors.newFixedThreadPool(stages.size());
    }

    /** Stage trainers of {@code spec} holding {@code blocks[i]} consecutive blocks each. */
    static Pipeline of(ModelSpec spec, int vocab, long seed, double learningRate, int... blocks) {
        List<StageTrainer> stages = new ArrayList<>();
        for (StageRange range : ranges(spec, blocks)) {
            stages.add(new StageTrainer(spec, vocab, seed, learningRate, range));
        }
        return new Pipeline(stages);
    }

    static List<StageRange> ranges(ModelSpec spec, int... blocks) {
        assertThat(Arrays.stream(blocks).sum()).as("blocks of the split").isEqualTo(spec.layers());
        List<StageRange> ranges = new ArrayList<>();
        int first = 0;
        for (int b : blocks) {
            ranges.add(StageRange.of(spec, first, first + b - 1));
            first += b;
        }
        return ranges;
    }

    /**
     * 1F1B on stage {@code stage} of {@code stages} with {@code micro} micro-batches: {@code min(P − i − 1, M)}
     * warm-up forwards, then one forward and one backward in turn, then the remaining backwards.
     */
    static List<Pass> schedule(int stage, int stages, int micro) {
        int warmUp = Math.min(stages - stage - 1, micro);
        List<Pass> passes = new ArrayList<>();
        for (int k = 0; k < warmUp; k++) {
            passes.add(new Pass(true, k));
        }
        for (int k = 0; k < micro - warmUp; k++) {
            passes.add(new Pass(true, warmUp + k));
            passes.add(new Pass(false, k));
        }
        for (int k = micro - warmUp; k < micro; k++) {
            passes.add(new Pass(false, k));
        }
        return passes;
    }

    /**
     * One step: every stage begins it, runs its 1F1B passes over {@code micro} on its own thread, and ends with no
     * micro-batch in flight (at most {@code P − i} at any time on stage {@code i}).
     *
     * @return the last stage's loss of each micro-batch
     */
    double[] step(List<StageTrainer.Batch> micro) throws Exception {
        int p = stages.size();
        int m = micro.size();
        List<BlockingQueue<float[]>> activations = new ArrayList<>();
        List<BlockingQueue<float[]>> gradients = new ArrayList<>();
        for (int i = 0; i < p; i++) {
            activations.add(new LinkedBlockingQueue<>()); // stage i → i+1
            gradients.add(new LinkedBlockingQueue<>());   // stage i+1 → i
        }
        double[] losses = new double[m];
        List<Future<?>> running = new ArrayList<>();
        for (int i = 0; i < p; i++) {
            int stage = i;
            StageTrainer t = stages.get(i);
            running.add(threads.submit(() -> {
                t.beginStep();
                for (Pass pass : schedule(stage, p, m)) {
                    if (pass.forward()) {
                        StageTrainer.Batch b = micro.get(pass.micro());
                        StageTrainer.Output out = stage == 0 ? t.forward(b)
                                : t.forward(b, activations.get(stage - 1).take());
                        assertThat(t.inFlight()).as("in flight on stage %d", stage).isLessThanOrEqualTo(p - stage);
                        if (stage == p - 1) {
                            losses[pass.micro()] = out.loss();
                        } else {
                            activations.get(stage).put(out.activations());
                        }
                    } else {
                        float[] inputGradient = stage == p - 1 ? t.backward() : t.backward(gradients.get(stage).take());
                        if (stage > 0) {
                            gradients.get(stage - 1).put(inputGradient);
                        } else {
                            assertThat(inputGradient).isNull();
                        }
                    }
                }
                assertThat(t.inFlight()).isZero();
                return null;
            }));
        }
        for (Future<?> f : running) {
            f.get(120, TimeUnit.SECONDS);
        }
        return losses;
    }

    /** The step's loss: the micro-batches' mean losses weighted by their samples (the mean over all tokens). */
    static double stepLoss(double[] losses, List<StageTrainer.Batch> micro) {
        double sum = 0;
        int samples = 0;
        for (int k = 0; k < losses.length; k++) {
            sum += losses[k] * micro.get(k).batchSize();
            samples += micro.get(k).batchSize();
        }
        return sum / samples;
    }

    /** The stages' accumulated gradients put together into the whole model's flat vector. */
    float[] gradient(int total) {
        return gradient(total, StageTrainer::parameterOffset);
    }

    /** As {@link #gradient(int)}, each stage's range placed at {@code offset} (a test of the comparison). */
    float[] gradient(int total, ToLongFunction<StageTrainer> offset) {
        float[] whole = new float[total];
        for (StageTrainer t : stages) {
            float[] g = new float[t.parameterCount()];
            t.exportGradient(g);
            System.arraycopy(g, 0, whole, Math.toIntExact(offset.applyAsLong(t)), g.length);
        }
        return whole;
    }

    /** The stages' weights put together into the whole model's flat vector. */
    float[] weights(int total) {
        float[] whole = new float[total];
        for (StageTrainer t : stages) {
            float[] w = t.weights();
            System.arraycopy(w, 0, whole, Math.toIntExact(t.parameterOffset()), w.length);
        }
        return whole;
    }

    /** Every stage applies its range of {@code scale · (the accumulated gradient)}. */
    void applyAccumulated(float scale) {
        for (StageTrainer t : stages) {
            float[] g = new float[t.parameterCount()];
            t.exportGradient(g);
            for (int i = 0; i < g.length; i++) {
                g[i] *= scale;
            }
            t.applyUpdate(g);
        }
    }

    static Mismatch mismatch(float[] expected, float[] actual) {
        assertThat(actual).hasSameSizeAs(expected);
        double diff = 0;
        double norm = 0;
        double maxAbs = 0;
        double maxExpected = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = (double) actual[i] - expected[i];
            diff += d * d;
            norm += (double) expected[i] * expected[i];
            maxAbs = Math.max(maxAbs, Math.abs(d));
            maxExpected = Math.max(maxExpected, Math.abs(expected[i]));
        }
        return new Mismatch(Math.sqrt(diff) / Math.sqrt(norm), maxAbs, maxExpected);
    }

    /**
     * Two gradients of the same batch agree within float32 summation noise: relative distance of the vectors below
     * 1e-5, and every element within 1e-6 of the largest element plus 1e-4 of its own size.
     */
    static boolean sameGradient(float[] expected, float[] actual) {
        Mismatch m = mismatch(expected, actual);
        if (!(m.relativeNorm() < 1e-5)) {
            return false;
        }
        double atol = 1e-6 * m.maxAbsExpected();
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs((double) actual[i] - expected[i]) <= atol + 1e-4 * Math.abs(expected[i]))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        threads.shutdownNow();
        stages.forEach(StageTrainer::close);
    }
}
