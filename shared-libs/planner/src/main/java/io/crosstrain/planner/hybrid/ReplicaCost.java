package io.crosstrain.planner.hybrid;

import io.crosstrain.planner.LayerModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One replica: a fixed sequence of devices, one stage each, running {@code B} samples per step as {@code M}
 * micro-batches of at most {@code m}. Splits the blocks over the stages ({@link LayerPartition}) and prices the step.
 *
 * <p>{@code M = ⌈B / m⌉} micro-batches of {@code m_x = ⌈B / M⌉} samples at most (sizes differ by one at most), step
 * {@code Σ_i (T_i + 2·C_i) + (M − 1)·max_i T_i} with {@code T_i} stage i's time for {@code m_x} samples and
 * {@code C_i = m_x · boundaryBytes · 8 / intraBandwidth} the hand-over to stage i+1 ({@code C_{P−1} = 0}). The bubble
 * fraction is {@code 1 − M·max_i T_i / step}: the share of the step the bottleneck stage is not computing.
 */
public final class ReplicaCost {

    /** One stage of an evaluated replica. */
    public record Stage(int index, StageChip device, int firstLayer, int lastLayer, StageTime time,
                        double memoryBytes) {
        public int layers() {
            return lastLayer - firstLayer + 1;
        }
    }

    /**
     * @param feasible       false when no split fits (then {@code reason})
     * @param batch          samples per step {@code B}
     * @param microBatchSize the largest micro-batch {@code m_x}
     * @param microBatches   {@code M}
     * @param seconds        the step time ({@code 0} for {@code B = 0})
     * @param bubbleFraction idle share of the bottleneck stage
     */
    public record Replica(boolean feasible, String reason, List<Stage> stages, int batch, int microBatchSize,
                          int microBatches, double seconds, double bubbleFraction) {

        static Replica infeasible(String reason) {
            return new Replica(false, reason, List.of(), 0, 0, 0, Double.POSITIVE_INFINITY, 0);
        }

        /** Samples per second at this batch. */
        public double samplesPerSec() {
            return seconds > 0 ? batch / seconds : 0;
        }

        public List<StageChip> devices() {
            return stages.stream().map(Stage::device).toList();
        }
    }

    private ReplicaCost() {
    }

    /**
     * The best split of {@code model} over {@code order} for {@code batch} samples in micro-batches of at most
     * {@code maxMicroBatch}.
     *
     * @param intraGbps bandwidth between the replica's devices, Gbit/s
     */
    public static Replica evaluate(LayerModel model, List<StageChip> order, int maxMicroBatch, int batch,
                                   double intraGbps) {
        return evaluate(model, order, maxMicroBatch, batch, intraGbps, null);
    }

    /** As {@link #evaluate}, with the blocks split as given ({@code counts[i]} blocks on stage i) instead of the best. */
    public static Replica evaluate(LayerModel model, List<StageChip> order, int maxMicroBatch, int batch,
                                   double intraGbps, int[] counts) {
        Objects.requireNonNull(order, "order");
        int p = order.size();
        if (p < 1 || p > model.layers()) {
            throw new IllegalArgumentException("a replica of " + p + " stages cannot split " + model.layers()
                    + " blocks");
        }
        if (maxMicroBatch < 1 || batch < 0) {
            throw new IllegalArgumentException("need maxMicroBatch ≥ 1 and batch ≥ 0, got " + maxMicroBatch + ", "
                    + batch);
        }
        int b = Math.max(batch, 1); // an idle replica is laid out as if for one sample, and costs nothing
        int mCount = (b + maxMicroBatch - 1) / maxMicroBatch;
        int mx = (b + mCount - 1) / mCount;
        int l = model.layers();
        LayerPartition.StageCost cost = (i, a, last) -> {
            double need = StageChip.memoryBytes(model, a, last, i, p, mCount, mx);
            return need <= order.get(i).capacityBytes()
                    ? StageTime.of(order.get(i), model, a, last).seconds(mx) : Double.POSITIVE_INFINITY;
        };
        LayerPartition.Split split;
        if (counts == null) {
            // the blocks are alike: a stage's cost depends on its block count and whether it is first or last
            split = LayerPartition.optimalUniform(l, p, mCount, (i, n) -> {
                int a = i == 0 ? 0 : i == p - 1 ? l - n : 1;
                return cost.seconds(i, a, a + n - 1);
            });
            if (!split.feasible()) {
                return Replica.infeasible(memoryReason(model, order, mCount, mx));
            }
        } else {
            split = fixed(l, counts, mCount, cost);
            if (!split.feasible()) {
                return Replica.infeasible(split.reason());
            }
        }
        double hand = p == 1 ? 0 : mx * model.boundaryBytes() * 8 / (intraGbps * 1e9);
        List<Stage> stages = new ArrayList<>(p);
        double sum = 0;
        double max = 0;
        for (int i = 0; i < p; i++) {
            int a = split.firstLayer()[i];
            int z = split.lastLayer(i, l);
            StageTime t = StageTime.of(order.get(i), model, a, z);
            double ti = t.seconds(mx);
            sum += ti + (i < p - 1 ? 2 * hand : 0);
            max = Math.max(max, ti);
            stages.add(new Stage(i, order.get(i), a, z, t, StageChip.memoryBytes(model, a, z, i, p, mCount, mx)));
        }
        double seconds = sum + (mCount - 1) * max;
        if (batch == 0) {
            return new Replica(true, null, List.copyOf(stages), 0, mx, 0, 0, 0);
        }
        return new Replica(true, null, List.copyOf(stages), batch, mx, mCount, seconds,
                seconds > 0 ? 1 - mCount * max / seconds : 0);
    }

    private static LayerPartition.Split fixed(int layers, int[] counts, int microBatches,
                                              LayerPartition.StageCost cost) {
        int[] first = new int[counts.length];
        double[] t = new double[counts.length];
        int at = 0;
        double sum = 0;
        double max = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] < 1) {
                return LayerPartition.Split.infeasible("stage " + i + " holds no block");
            }
            first[i] = at;
            t[i] = cost.seconds(i, at, at + counts[i] - 1);
            if (t[i] == Double.POSITIVE_INFINITY) {
                return LayerPartition.Split.infeasible("stage " + i + " with " + counts[i]
                        + " blocks does not fit its device's memory");
            }
            at += counts[i];
            sum += t[i];
            max = Math.max(max, t[i]);
        }
        if (at != layers) {
            throw new IllegalArgumentException("counts add up to " + at + " blocks, the model has " + layers);
        }
        return new LayerPartition.Split(true, null, first, t, sum + (microBatches - 1) * max);
    }

    /** Why no split fits, with the numbers: state and activations per block against the devices' room. */
    private static String memoryReason(LayerModel model, List<StageChip> order, int microBatches, int mx) {
        int p = order.size();
        double state = io.crosstrain.planner.ModelProfile.BYTES_PER_PARAMETER * model.parameters();
        double room = order.stream().mapToDouble(StageChip::capacityBytes).sum();
        double largest = order.stream().mapToDouble(StageChip::capacityBytes).max().orElse(0);
        String activations = String.format(java.util.Locale.ROOT, "%s per block and sample",
                bytes(model.blockActivations()));
        if (p == 1) {
            return String.format(java.util.Locale.ROOT, "no whole replica fits: weights, gradients and AdamW "
                            + "state take %s, and its %d samples at once %s more (%s); the largest device holds %s",
                    bytes(state), mx, bytes(model.activations(0, model.layers() - 1) * mx), activations,
                    bytes(largest));
        }
        return String.format(java.util.Locale.ROOT, "no split of %d blocks over %d stages fits: weights, gradients "
                        + "and AdamW state take %s (%s per block), and 1F1B keeps up to %d micro-batches "
                        + "of %d in flight on the first stage at %s; the %d devices hold %s together, the largest %s",
                model.layers(), p, bytes(state),
                bytes(io.crosstrain.planner.ModelProfile.BYTES_PER_PARAMETER * model.blockParameters()),
                Math.min(p, microBatches), mx, activations, p, bytes(room), bytes(largest));
    }

    /** Bytes in the unit that keeps three significant digits readable: GB for real chips, MB or kB when scaled. */
    static String bytes(double b) {
        if (b >= 1e9) {
            return String.format(java.util.Locale.ROOT, "%.1f GB", b / 1e9);
        }
        if (b >= 1e6) {
            return String.format(java.util.Locale.ROOT, "%.1f MB", b / 1e6);
        }
        return String.format(java.util.Locale.ROOT, "%.1f kB", b / 1e3);
    }
}
