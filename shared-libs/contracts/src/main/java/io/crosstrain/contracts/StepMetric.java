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
        String error) {
}
