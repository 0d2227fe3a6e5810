package io.crosstrain.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import io.crosstrain.training.Pacer;

/**
 * Stages of a replica on threads of one JVM, linked through an {@link ActivationHub}: the values that come out are
 * those of the composed functions, and under pacing the step lasts what the 1F1B formula says.
 */
class PipelineStepTest {

    final UUID job = UUID.randomUUID();
    final ActivationHub hub = new ActivationHub();

    /** Stage i adds i+1 forward and doubles the gradient backward; records what it saw. */
    final class Affine implements PipelineStep.Work {
        final int stage;
        final int stages;
        final List<String> seen = Collections.synchronizedList(new ArrayList<>());

        Affine(int stage, int stages) {
            this.stage = stage;
            this.stages = stages;
        }

        @Override
        public float[] forward(int mb, float[] input) {
            float x = input == null ? mb : input[0];
            seen.add("F" + mb + "=" + x);
            return stage == stages - 1 ? null : new float[] {x + stage + 1};
        }

        @Override
        public float[] backward(int mb, float[] gradOutput) {
            float g = gradOutput == null ? 1f : gradOutput[0];
            seen.add("B" + mb + "=" + g);
            return stage == 0 ? null : new float[] {2 * g};
        }
    }

    PipelineStep.Link link(int stage) {
        return new PipelineStep.Link() {
            @Override
            public void send(boolean forward, int mb, float[] values, long readyAtMs) {
                hub.deliver(new ActivationHub.Key(job, 1, 1, "r0", forward ? stage + 1 : stage - 1, mb, forward),
                        values, readyAtMs);
            }

            @Override
            public ActivationHub.Arrival receive(boolean forward, int mb) throws java.util.concurrent.TimeoutException,
                    InterruptedException {
                return hub.take(new ActivationHub.Key(job, 1, 1, "r0", stage, mb, forward), 10_000);
            }
        };
    }

    @Test
    void activationsFlowForwardAndTheirGradientsBackThroughEveryStage() throws Exception {
        int stages = 3;
        int m = 4;
        List<Affine> works = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(stages);
        List<Future<PipelineStep.Result>> results = new ArrayList<>();
        for (int i = 0; i < stages; i++) {
            Affine w = new Affine(i, stages);
            works.add(w);
            int stage = i;
            results.add(pool.submit(() -> PipelineStep.run(stage, stages, m, w, link(stage), null, new Pacer(),
                    false)));
        }
        for (Future<PipelineStep.Result> f : results) {
            f.get();
        }
        pool.shutdown();
        // the last stage sees micro-batch j as j + 1 + 2; the first receives the gradient doubled twice
        assertThat(works.get(2).seen).contains("F0=3.0", "F3=6.0");
        assertThat(works.get(0).seen).contains("B0=4.0", "B3=4.0");
        assertThat(hub.held()).isZero();
    }

    @Test
    void pacedStagesTakeAtLeastWhatOneFOneBTakes() throws Exception {
        int stages = 2;
        int m = 4;
        // seconds per micro-batch forward+backward on each stage: long against thread wake-ups, so what is checked
        // is the schedule the stamps build, not the machine's timing
        double t = 0.1;
        PipelineStep.Timing timing = new PipelineStep.Timing() {
            @Override
            public double forwardSeconds(int mb) {
                return t / 3;
            }

            @Override
            public double backwardSeconds(int mb) {
                return 2 * t / 3;
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(stages);
        List<Future<PipelineStep.Result>> results = new ArrayList<>();
        for (int i = 0; i < stages; i++) {
            int stage = i;
            results.add(pool.submit(() -> PipelineStep.run(stage, stages, m, new Affine(stage, stages), link(stage),
                    timing, new Pacer(), true)));
        }
        long start = Long.MAX_VALUE;
        long end = 0;
        long busy = 0;
        for (Future<PipelineStep.Result> f : results) {
            PipelineStep.Result r = f.get();
            start = Math.min(start, r.startNanos());
            end = Math.max(end, r.endNanos());
            busy = Math.max(busy, r.busyNanos());
        }
        pool.shutdown();
        // Σ_i T_i + (M − 1)·max T_i with equal stages: (P + M − 1)·T = 5 · 100 ms; each stage busy M·T = 400 ms.
        // Pacing never lets a chip finish early, so these are floors whatever the machine's load; how close the
        // wall time comes to them is a benchmark's question, not a unit test's
        assertThat((end - start) / 1e9).isGreaterThanOrEqualTo(5 * t - 1e-3);
        assertThat(busy / 1e9).isGreaterThanOrEqualTo(m * t - 1e-3);
    }
}
