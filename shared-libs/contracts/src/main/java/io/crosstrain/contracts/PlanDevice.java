package io.crosstrain.contracts;

/**
 * One device's share of a plan.
 *
 * @param rank             position in the plan (0..n-1), fixes data sharding and summation order
 * @param chipSamplesPerSec speed of the real chip for this model (cost model, samples/s)
 * @param pacedStepSeconds wall time one step must take on this device under emulation: batch / (speed · k)
 */
public record PlanDevice(
        String deviceId,
        String nodeId,
        String datacenter,
        String chip,
        int rank,
        int batch,
        int microBatches,
        double chipSamplesPerSec,
        double pacedStepSeconds) {
}
