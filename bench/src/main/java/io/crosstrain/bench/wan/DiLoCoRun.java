package io.crosstrain.bench.wan;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.training.DeviceTrainer;
import io.crosstrain.training.OuterOptimizer;

/**
 * DiLoCo (Douillard et al., 2023, arXiv:2311.08105) across the datacenters: each runs {@code h} inner AdamW steps on
 * its own micro-batches, then sends its pseudo-gradient {@code Δ = θ_global − θ_dc} through the codec (with error
 * feedback, a residual per datacenter); the decoded Δs are averaged weighted by samples and the
 * {@link OuterOptimizer} (Nesterov SGD) makes the new θ_global, which every replica loads. AdamW's moments stay with
 * each replica across rounds.
 */
public final class DiLoCoRun {

    /** One DiLoCo configuration. */
    public record Config(int h, DeltaCodec codec, InnerSettings inner, double outerLr, double outerMomentum) {
        public String label() {
            return String.format(Locale.ROOT, "diloco H=%d %s in=%s out=%s/%s", h, codec.name(), inner.lr(), outerLr,
                    outerMomentum);
        }
    }

    /**
     * @param curve         θ_global's validation loss after every outer round
     * @param equalSamples  the point at the sync-DP run's sample count
     */
    public record Result(Config config, List<EvalPoint> curve, EvalPoint equalSamples, double roundUnits,
            long payloadBytes) {
    }

    private DiLoCoRun() {
    }

    /**
     * @param equalSteps inner steps per datacenter at which sync DP stopped (must be a multiple of h)
     * @param maxSteps   inner steps per datacenter at most
     * @param target     stop once past {@code equalSteps} with θ_global at or below this loss; null: run to maxSteps
     * @param ratio      emulated time of one fp32 exchange in units of t_c
     */
    public static Result run(Config config, WanData data, ModelSpec spec, long modelSeed, int equalSteps,
            int maxSteps, Double target, double ratio, CpuClock clock, Progress progress) {
        int h = config.h();
        if (h < 1 || equalSteps % h != 0 || maxSteps < equalSteps) {
            throw new IllegalArgumentException("need h >= 1 dividing equalSteps " + equalSteps + " and maxSteps >= "
                    + "equalSteps");
        }
        int dcs = data.datacenters();
        List<DeviceTrainer> replicas = new ArrayList<>(dcs);
        try {
            InnerSettings inner = config.inner();
            for (int d = 0; d < dcs; d++) {
                replicas.add(new DeviceTrainer(spec, data.vocab(), modelSeed, inner.lr(), inner.weightDecay(),
                        inner.warmupSteps()));
            }
            int size = replicas.get(0).parameterCount();
            OuterOptimizer outer = new OuterOptimizer(replicas.get(0).weights(), config.outerLr(),
                    config.outerMomentum());
            List<DeltaCodec.Sender> senders = new ArrayList<>(dcs);
            for (int d = 0; d < dcs; d++) {
                senders.add(config.codec().sender(size));
            }
            long payload = config.codec().wireBytes(size);
            // WAN time scales with bytes: an fp32 exchange costs `ratio` steps
            double roundUnits = h + ratio * payload / (double) DeltaCodec.FP32.wireBytes(size);

            List<EvalPoint> curve = new ArrayList<>();
            EvalPoint atEqual = null;
            long samples = 0;
            long rounds = 0;
            long step = 0;
            boolean reached = false;
            double[] weight = new double[dcs];
            float[] mean = new float[size];
            while (step < maxSteps) {
                for (int d = 0; d < dcs; d++) {
                    DeviceTrainer r = replicas.get(d);
                    int seen = 0;
                    for (int i = 0; i < h; i++) {
                        var batch = data.batch(d, step + i);
                        long t0 = CpuClock.now();
                        r.bareStep(batch);
                        clock.add(CpuClock.now() - t0);
                        seen += batch.batchSize();
                    }
                    weight[d] = seen;
                }
                step += h;
                rounds++;
                double total = 0;
                for (double w : weight) {
                    total += w;
                }
                samples += (long) total;
                java.util.Arrays.fill(mean, 0f);
                for (int d = 0; d < dcs; d++) {
                    float[] decoded = senders.get(d).send(outer.pseudoGradient(replicas.get(d).weights()));
                    float w = (float) (weight[d] / total);
                    for (int i = 0; i < size; i++) {
                        mean[i] += w * decoded[i];
                    }
                }
                float[] global = outer.step(mean);
                for (DeviceTrainer r : replicas) {
                    r.loadWeights(global);
                }
                double loss = Validation.loss(replicas.get(0), data.validation());
                EvalPoint point = new EvalPoint(step, samples, rounds, rounds * roundUnits, loss);
                curve.add(point);
                if (step == equalSteps) {
                    atEqual = point;
                }
                progress.update(config.label(), step, maxSteps, loss);
                reached |= target != null && loss <= target;
                if (step >= equalSteps && reached) {
                    break;
                }
            }
            progress.done(config.label(), String.format(Locale.ROOT, "loss at equal samples %.4f, last %.4f after "
                    + "%d steps", atEqual.loss(), curve.get(curve.size() - 1).loss(), step));
            return new Result(config, List.copyOf(curve), atEqual, roundUnits, payload);
        } finally {
            replicas.forEach(DeviceTrainer::close);
        }
    }
}
