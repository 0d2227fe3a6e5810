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
 * @param replica     the replica the device belongs to (its own id for a whole replica); null in plans made before
 *                    pipelines
 * @param stage       its pipeline stage; null when the device holds a whole replica. A stage device's {@code batch}
 *                    and {@code microBatches} are its replica's
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
        Double emulatedSamplesPerSec,
        String replica,
        PlanStage stage) {

    /** A whole replica, as plans were before pipelines. */
    public PlanDevice(String deviceId, String nodeId, String datacenter, String chip, int rank, int batch,
                      int microBatches, double chipSamplesPerSec, double pacedStepSeconds,
                      Double emulatedSamplesPerSec) {
        this(deviceId, nodeId, datacenter, chip, rank, batch, microBatches, chipSamplesPerSec, pacedStepSeconds,
                emulatedSamplesPerSec, null, null);
    }

    public PlanDevice(String deviceId, String nodeId, String datacenter, String chip, int rank, int batch,
                      int microBatches, double chipSamplesPerSec, double pacedStepSeconds) {
        this(deviceId, nodeId, datacenter, chip, rank, batch, microBatches, chipSamplesPerSec, pacedStepSeconds,
                null, null, null);
    }

    /** True when the device runs one stage of a replica that spans several devices. */
    public boolean staged() {
        return stage != null && stage.stages() > 1;
    }

    /** Its replica: the given id, or its own id in plans made before pipelines. */
    public String replicaOrSelf() {
        return replica != null ? replica : deviceId;
    }

    /** The speed the emulation paces this device at (before any emulated slow-down). */
    public double emulatedSpeed() {
        return emulatedSamplesPerSec != null && emulatedSamplesPerSec > 0 ? emulatedSamplesPerSec : chipSamplesPerSec;
    }

    public PlanDevice withEmulatedSpeed(double speed) {
        return new PlanDevice(deviceId, nodeId, datacenter, chip, rank, batch, microBatches, chipSamplesPerSec,
                pacedStepSeconds, speed, replica, stage);
    }
}
