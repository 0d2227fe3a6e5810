package io.crosstrain.inventory.domain;

import java.time.Instant;

/**
 * Measured speed of a chip on a model at a micro-batch size.
 *
 * @param samplesPerSec robust estimate over the newest samples ({@link RobustSpeed})
 * @param samples       samples recorded for this profile so far
 */
public record ChipProfile(String chip, String model, int microBatch, double samplesPerSec, long samples,
                          Instant updatedAt) {
}
