package io.crosstrain.planner.hybrid;

import io.crosstrain.planner.ChipSpec;
import io.crosstrain.planner.LayerModel;
import io.crosstrain.planner.CostModel;
import java.util.Objects;

/**
 * One device as a pipeline stage sees it: how long a micro-batch of a block range takes on its chip and how much
 * memory the range needs there.
 *
 * <p><b>Time</b> of {@code m} samples through blocks {@code [a, b]}, forward and backward, is the roofline of three
 * terms: {@code max(m·F / (peak·u), (m·2·A + 6·W) / memBW) · slowdown}, with {@code F}, {@code A} and {@code W} the
 * range's FLOPs, activation bytes and parameters per sample ({@link LayerModel}), {@code u}
 * {@link CostModel#REFERENCE_UTILISATION}. {@code 2·A}: every kept activation is written forward and read back
 * ({@code ModelProfile.TRAFFIC_PER_ACTIVATION_BYTE}); {@code 6·W}: the range's bf16 weights are read in the forward
 * and again in the backward pass and its bf16 gradient is written ({@value #WEIGHT_TRAFFIC_BYTES_PER_PARAMETER}
 * bytes per parameter), once per micro-batch. That last term is why a micro-batch of one sample is not free: it
 * makes tiny micro-batches memory-bound. {@code slowdown} = roofline speed ÷ measured speed of the whole model on
 * this device when a measured speed is known (a measured time is the roofline time times it), else 1.
 *
 * <p><b>Memory</b> of blocks {@code [a, b]} as stage {@code i} of {@code P} with micro-batches of {@code m}:
 * {@code 16·W + min(P − i, M)·m·A} — fp32 master weights, gradients and AdamW's two moments
 * ({@code ModelProfile.BYTES_PER_PARAMETER}), plus the activations of the micro-batches 1F1B keeps in flight there
 * (stage {@code i} has run up to {@code P − i} forwards before its first backward). Capacity:
 * {@code memoryGb · memoryScale · } {@link CostModel#USABLE_MEMORY_FRACTION}.
 *
 * @param id          device id
 * @param chip        catalogue figures
 * @param memoryScale the emulation's memory scale {@code m} (1 on real chips)
 * @param slowdown    roofline speed ÷ measured speed of the whole model on this device (1 = not measured)
 */
public record StageChip(String id, ChipSpec chip, double memoryScale, double slowdown) {

    /** Bytes per parameter a stage moves through HBM per micro-batch for its weights and their gradient. */
    public static final double WEIGHT_TRAFFIC_BYTES_PER_PARAMETER = 6.0;

    public StageChip {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(chip, "chip");
        if (!(memoryScale > 0) || Double.isInfinite(memoryScale)) {
            throw new IllegalArgumentException("memoryScale must be positive and finite, got " + memoryScale);
        }
        if (!(slowdown > 0) || Double.isInfinite(slowdown)) {
            throw new IllegalArgumentException("slowdown must be positive and finite, got " + slowdown);
        }
    }

    public static StageChip of(String id, ChipSpec chip, double memoryScale) {
        return new StageChip(id, chip, memoryScale, 1.0);
    }

    /** Seconds of forward and backward of {@code m} samples through blocks {@code [a, b]}. */
    public double seconds(LayerModel model, int a, int b, int m) {
        return StageTime.of(this, model, a, b).seconds(m);
    }

    /** Bytes usable for training state: {@code memoryGb · memoryScale · USABLE_MEMORY_FRACTION}. */
    public double capacityBytes() {
        return chip.memoryBytes() * memoryScale * CostModel.USABLE_MEMORY_FRACTION;
    }

    /** Bytes blocks {@code [a, b]} need as stage {@code stage} of {@code stages} with {@code inFlight} micro-batches. */
    public static double memoryBytes(LayerModel model, int a, int b, int stage, int stages, int microBatches,
                                     int microBatchSize) {
        int inFlight = Math.min(stages - stage, microBatches);
        return io.crosstrain.planner.ModelProfile.BYTES_PER_PARAMETER * model.parameters(a, b)
                + (double) inFlight * microBatchSize * model.activations(a, b);
    }

    /** The whole model's samples/s on this chip at the roofline, as {@link CostModel#rooflineSamplesPerSec}. */
    public double wholeModelSamplesPerSec(LayerModel model) {
        double compute = model.flops() / (chip.peakFlops() * CostModel.REFERENCE_UTILISATION);
        double traffic = 2.0 * activationsTotal(model) / chip.memBandwidthBytesPerSec();
        return 1.0 / (Math.max(compute, traffic) * slowdown);
    }

    private static double activationsTotal(LayerModel model) {
        return model.activations(0, model.layers() - 1);
    }
}
