package io.crosstrain.contracts;

import java.util.UUID;

/**
 * Published on {@link Topics#STEP_METRICS} (key = jobId) by every device after every step.
 *
 * @param computeMs   real CPU (or GPU) time of forward + backward
 * @param busyMs      time the device counts as busy: the paced step time under emulation, else computeMs
 * @param commMs      time from sending the gradient to receiving the averaged update
 * @param stepMs      wall time of the whole step
 * @param wanBytes    bytes this device's datacenter received over the WAN for this step (same on every device of a DC)
 * @param parameters  trainable parameters of the model
 * @param weightsHash SHA-256 of the weights after the update, every {@code hashEvery} steps and on the last one
 * @param error       set when the device failed; the job then fails with this reason
 * @param samplesPerSec measured speed of the chip this device stands for, in samples/s of real chip time: batch over
 *                    busy time, times the emulation time scale's inverse when emulated (batch / (busy · k))
 * @param microBatches micro-batches the step ran
 * @param modelKey    {@link ModelSpec#key(int)} of the model trained: with chip and micro-batch it keys a
 *                    throughput profile
 * @param roundSamples samples of the whole round as the relays committed it (0 = not known); counts the round even
 *                    when a contributor died before it could report the step
 */
public record StepMetric(
        UUID jobId,
        int planVersion,
        String deviceId,
        String datacenter,
        String chip,
        int step,
        int batch,
        double loss,
        double computeMs,
        double busyMs,
        double commMs,
        double stepMs,
        long startedAtMs,
        long endedAtMs,
        long wanBytes,
        long parameters,
        String weightsHash,
        String mode,
        boolean last,
        String error,
        Double samplesPerSec,
        Integer microBatches,
        String modelKey,
        Integer roundSamples) {

    /** Metrics of workers older than the profile fields have none: speed 0 (unknown), one micro-batch. */
    public StepMetric {
        samplesPerSec = samplesPerSec == null ? 0.0 : samplesPerSec;
        microBatches = microBatches == null ? 1 : microBatches;
        roundSamples = roundSamples == null ? 0 : roundSamples;
    }

    /** Without the round's committed samples (0 = not known). */
    public StepMetric(UUID jobId, int planVersion, String deviceId, String datacenter, String chip, int step,
                      int batch, double loss, double computeMs, double busyMs, double commMs, double stepMs,
                      long startedAtMs, long endedAtMs, long wanBytes, long parameters, String weightsHash,
                      String mode, boolean last, String error, Double samplesPerSec, Integer microBatches,
                      String modelKey) {
        this(jobId, planVersion, deviceId, datacenter, chip, step, batch, loss, computeMs, busyMs, commMs, stepMs,
                startedAtMs, endedAtMs, wanBytes, parameters, weightsHash, mode, last, error, samplesPerSec,
                microBatches, modelKey, 0);
    }

    /** The foundation's shape, without the profile fields (speed 0 = not measured). */
    public StepMetric(UUID jobId, int planVersion, String deviceId, String datacenter, String chip, int step,
                      int batch, double loss, double computeMs, double busyMs, double commMs, double stepMs,
                      long startedAtMs, long endedAtMs, long wanBytes, long parameters, String weightsHash,
                      String mode, boolean last, String error) {
        this(jobId, planVersion, deviceId, datacenter, chip, step, batch, loss, computeMs, busyMs, commMs, stepMs,
                startedAtMs, endedAtMs, wanBytes, parameters, weightsHash, mode, last, error, 0.0, 1, null, 0);
    }
}
