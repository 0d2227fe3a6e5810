package io.crosstrain.inventory.domain;

import java.time.Instant;
import java.util.UUID;

/** One measured step of one device, identified by the step it measured so a redelivery is recognised. */
public record SpeedSample(UUID jobId, int planVersion, String deviceId, int step, String chip, String modelKey,
                          int microBatch, double samplesPerSec, Instant measuredAt) {

    /** Samples per micro-batch when a step of {@code batch} samples ran as {@code microBatches} micro-batches. */
    public static int microBatch(int batch, int microBatches) {
        int parts = Math.max(1, microBatches);
        return (int) ((batch + (long) parts - 1) / parts);
    }
}
