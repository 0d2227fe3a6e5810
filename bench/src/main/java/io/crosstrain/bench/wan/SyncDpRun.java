package io.crosstrain.bench.wan;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.training.DeviceTrainer;

/**
 * Synchronous data parallelism across the datacenters: every step each datacenter computes the gradient of its own
 * micro-batch, the gradients are averaged weighted by samples (one WAN exchange), and every replica applies the same
 * AdamW update, so the replicas stay bit-identical (checked at the end).
 */
public final class SyncDpRun {

    public record Result(String label, InnerSettings inner, List<EvalPoint> curve, double finalLoss, long steps,
            long samples, long exchanges) {
    }

    private SyncDpRun() {
    }

    /**
     * @param ratio     emulated WAN time of one fp32 exchange in units of t_c; a step costs {@code 1 + ratio}
     * @param evalEvery steps between validations (and the last step)
     */
    public static Result run(String label, WanData data, ModelSpec spec, long modelSeed, InnerSettings inner,
            int steps, int evalEvery, double ratio, ExecutorService pool, CpuClock clock, Progress progress)
            throws InterruptedException, ExecutionException {
        int dcs = data.datacenters();
        List<DeviceTrainer> replicas = new ArrayList<>(dcs);
        try {
            for (int d = 0; d < dcs; d++) {
                replicas.add(new DeviceTrainer(spec, data.vocab(), modelSeed, inner.lr(), inner.weightDecay(),
                        inner.warmupSteps()));
            }
            int size = replicas.get(0).parameterCount();
            float[][] gradients = new float[dcs][size];
            float[] mean = new float[size];
            long[] cpu = new long[dcs];
            List<EvalPoint> curve = new ArrayList<>();
            long samples = 0;
            double loss = Double.NaN;
            for (int step = 0; step < steps; step++) {
                final long s = step;
                List<Callable<Integer>> compute = new ArrayList<>(dcs);
                for (int d = 0; d < dcs; d++) {
                    final int dc = d;
                    compute.add(() -> {
                        long t0 = CpuClock.now();
                        var batch = data.batch(dc, s);
                        replicas.get(dc).forwardBackwardInto(batch, gradients[dc]);
                        cpu[dc] = CpuClock.now() - t0;
                        return batch.batchSize();
                    });
                }
                int total = 0;
                for (Future<Integer> f : pool.invokeAll(compute)) {
                    total += f.get();
                }
                // gradients arrive multiplied by their batch: the sum over the total batch is the weighted mean
                java.util.Arrays.fill(mean, 0f);
                for (float[] g : gradients) {
                    for (int i = 0; i < size; i++) {
                        mean[i] += g[i];
                    }
                }
                float inv = 1f / total;
                for (int i = 0; i < size; i++) {
                    mean[i] *= inv;
                }
                List<Callable<Object>> apply = new ArrayList<>(dcs);
                for (int d = 0; d < dcs; d++) {
                    final int dc = d;
                    apply.add(() -> {
                        long t0 = CpuClock.now();
                        replicas.get(dc).applyUpdate(mean);
                        clock.add(cpu[dc] + CpuClock.now() - t0);
                        return null;
                    });
                }
                for (Future<Object> f : pool.invokeAll(apply)) {
                    f.get();
                }
                samples += total;
                long done = step + 1;
                if (done % evalEvery == 0 || done == steps) {
                    loss = Validation.loss(replicas.get(0), data.validation());
                    curve.add(new EvalPoint(done, samples, done, done * (1 + ratio), loss));
                    progress.update(label, done, steps, loss);
                }
            }
            String hash = replicas.get(0).weightsHash();
            for (DeviceTrainer r : replicas) {
                if (!r.weightsHash().equals(hash)) {
                    throw new IllegalStateException("sync-DP replicas diverged");
                }
            }
            progress.done(label, String.format(java.util.Locale.ROOT, "final loss %.4f", loss));
            return new Result(label, inner, List.copyOf(curve), loss, steps, samples, steps);
        } finally {
            replicas.forEach(DeviceTrainer::close);
        }
    }
}
