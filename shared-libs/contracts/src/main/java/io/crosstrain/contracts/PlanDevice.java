package io.crosstrain.contracts;

/**
 * One device's share of a plan.
 *
 * @param rank             position in the plan (0..n-1), fixes data sharding and summation order
 * @param chipSamplesPerSec speed of the real chip for this model (cost model, samples/s)
 * @param pacedStepSeconds wall time one step must take on this device under emulation: batch / (speed · k)
 * @param emulatedSamplesPerSec under emulation, the speed the device really runs at (its chip's nominal speed for
 *                    this model); it stays the same across plan versions while {@code chipSamplesPerSec}, the speed
 *                    the plan assumes, follows measurements. Null = {@code chipSamplesPerSec}
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
        double pacedStepSeconds,
        Double emulatedSamplesPerSec) {

    public PlanDevice(String deviceId, String nodeId, String datacenter, String chip, int rank, int batch,
                      int microBatches, double chipSamplesPerSec, double pacedStepSeconds) {
        this(deviceId, nodeId, datacenter, chip, rank, batch, microBatches, chipSamplesPerSec, pacedStepSeconds,
                null);
    }

    /** The speed the emulation paces this device at (before any emulated slow-down). */
    public double emulatedSpeed() {
        return emulatedSamplesPerSec != null && emulatedSamplesPerSec > 0 ? emulatedSamplesPerSec : chipSamplesPerSec;
    }

    public PlanDevice withEmulatedSpeed(double speed) {
        return new PlanDevice(deviceId, nodeId, datacenter, chip, rank, batch, microBatches, chipSamplesPerSec,
                pacedStepSeconds, speed);
    }
}
