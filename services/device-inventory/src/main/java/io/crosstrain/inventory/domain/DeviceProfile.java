package io.crosstrain.inventory.domain;

import java.time.Instant;

/**
 * Measured speed of one device on a model, over all micro-batch sizes it ran.
 *
 * @param samplesPerSec robust estimate over the newest samples ({@link RobustSpeed})
 * @param samples       samples recorded for this profile so far
 */
public record DeviceProfile(String deviceId, String model, double samplesPerSec, long samples, Instant updatedAt) {
}
