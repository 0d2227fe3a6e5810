package io.crosstrain.planner.hybrid;

import io.crosstrain.planner.CostModel;
import io.crosstrain.planner.LayerModel;

/**
 * The roofline of one block range on one chip as three coefficients, so a worker can pace any micro-batch size:
 * {@code seconds(m) = max(m · computePerSample, m · trafficPerSample + weightTraffic)} (see {@link StageChip}).
 *
 * @param computePerSample seconds of tensor work per sample
 * @param trafficPerSample seconds of activation traffic per sample
 * @param weightTraffic    seconds of weight and gradient traffic per micro-batch
 */
public record StageTime(double computePerSample, double trafficPerSample, double weightTraffic) {

    /** Share of a micro-batch's time spent in the forward pass: a backward costs about twice a forward. */
    public static final double FORWARD_SHARE = io.crosstrain.contracts.PlanStage.FORWARD_SHARE;

    public static StageTime of(StageChip device, LayerModel model, int a, int b) {
        double peak = device.chip().peakFlops() * CostModel.REFERENCE_UTILISATION;
        double bw = device.chip().memBandwidthBytesPerSec();
        double s = device.slowdown();
        return new StageTime(model.flops(a, b) / peak * s, 2.0 * model.activations(a, b) / bw * s,
                StageChip.WEIGHT_TRAFFIC_BYTES_PER_PARAMETER * model.parameters(a, b) / bw * s);
    }

    /** Forward and backward of {@code m} samples. */
    public double seconds(int m) {
        return Math.max(m * computePerSample, m * trafficPerSample + weightTraffic);
    }

    public StageTime scaled(double factor) {
        return new StageTime(computePerSample * factor, trafficPerSample * factor, weightTraffic * factor);
    }
}
