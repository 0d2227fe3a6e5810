package io.crosstrain.training;

import io.crosstrain.contracts.ModelSpec;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Measures what one training sample costs this JVM's CPU, for the emulation time scale (ARCHITECTURE.md §6).
 *
 * <p>PyTorch runs with one intra-op thread here, so the work happens on the calling thread and that thread's CPU
 * time (not wall time, which other processes on the shared cores would inflate) is the cost.
 */
public final class CpuCalibration {

    private static final int WARM_UP_STEPS = 2;
    private static final long DATA_SEED = 0xC0FFEEL;

    private CpuCalibration() {
    }

    /**
     * CPU seconds per sample of {@code forwardBackwardInto + applyUpdate} on a fresh model of {@code spec}, averaged
     * over {@code steps} steps of {@code batch} sequences after a short warm-up. Uses wall time if the JVM cannot
     * measure thread CPU time.
     */
    public static double cpuSecondsPerSample(ModelSpec spec, int vocab, int batch, int steps) {
        if (batch <= 0 || steps <= 0) {
            throw new IllegalArgumentException("batch and steps must be positive");
        }
        DjlSetup.configureCpu();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        boolean cpuClock = mx.isCurrentThreadCpuTimeSupported();
        if (cpuClock && !mx.isThreadCpuTimeEnabled()) {
            mx.setThreadCpuTimeEnabled(true);
        }
        int[] tokens = syntheticTokens(vocab, Math.max(4096, 2 * batch * (spec.seqLen() + 1)));
        try (DeviceTrainer trainer = new DeviceTrainer(spec, vocab, 1L, 1e-3)) {
            float[] gradient = new float[trainer.parameterCount()];
            for (int s = 0; s < WARM_UP_STEPS; s++) {
                step(trainer, tokens, s, batch, spec.seqLen(), gradient);
            }
            long start = cpuClock ? mx.getCurrentThreadCpuTime() : System.nanoTime();
            for (int s = 0; s < steps; s++) {
                step(trainer, tokens, WARM_UP_STEPS + s, batch, spec.seqLen(), gradient);
            }
            long end = cpuClock ? mx.getCurrentThreadCpuTime() : System.nanoTime();
            return (end - start) / 1e9 / ((double) steps * batch);
        }
    }

    /** Training FLOPs per second of this CPU thread: {@code spec.flopsPerSample(vocab) / cpuSecondsPerSample}. */
    public static double flopsPerSecond(ModelSpec spec, int vocab, int batch, int steps) {
        return spec.flopsPerSample(vocab) / cpuSecondsPerSample(spec, vocab, batch, steps);
    }

    private static void step(DeviceTrainer trainer, int[] tokens, long step, int batch, int seqLen, float[] gradient) {
        DeviceTrainer.Batch b = DeviceTrainer.sample(tokens, DATA_SEED, step, 0, batch, seqLen);
        trainer.forwardBackwardInto(b, gradient);
        float inv = 1f / batch; // what a relay would do for a group of one
        for (int i = 0; i < gradient.length; i++) {
            gradient[i] *= inv;
        }
        trainer.applyUpdate(gradient);
    }

    private static int[] syntheticTokens(int vocab, int length) {
        Rng rng = new Rng(DATA_SEED);
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++) {
            tokens[i] = rng.nextInt(vocab);
        }
        return tokens;
    }
}
