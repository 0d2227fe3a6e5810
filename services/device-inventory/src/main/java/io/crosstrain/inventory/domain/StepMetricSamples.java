package io.crosstrain.inventory.domain;

import java.time.Instant;
import java.util.Optional;

import io.crosstrain.contracts.StepMetric;

/** Which step metrics feed throughput profiles, and what a malformed one looks like. */
public final class StepMetricSamples {

    static final int MAX_KEY = 200;

    private StepMetricSamples() {
    }

    /**
     * Rejects a metric that no consumer could make sense of.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static void checkWellFormed(StepMetric m) {
        if (m == null) {
            throw new IllegalArgumentException("null step metric");
        }
        if (m.jobId() == null) {
            throw new IllegalArgumentException("step metric without jobId");
        }
        if (!Ids.valid(m.deviceId())) {
            throw new IllegalArgumentException("step metric without a valid deviceId");
        }
        if (m.step() < 0 || m.planVersion() < 0 || m.batch() < 0 || m.microBatches() < 0) {
            throw new IllegalArgumentException("step metric of " + m.deviceId() + " has negative counts");
        }
        if (!Double.isFinite(m.samplesPerSec())) {
            throw new IllegalArgumentException("step metric of " + m.deviceId() + " has a non-finite speed");
        }
        if (m.modelKey() != null && (m.modelKey().isBlank() || m.modelKey().length() > MAX_KEY)) {
            throw new IllegalArgumentException("step metric of " + m.deviceId() + " has a blank or overlong modelKey");
        }
        if (m.chip() != null && m.chip().length() > MAX_KEY) {
            throw new IllegalArgumentException("step metric of " + m.deviceId() + " has an overlong chip name");
        }
    }

    /** A successful step with a measured speed of a known model: the only kind a profile may learn from. */
    public static boolean measuresSpeed(StepMetric m) {
        return m.error() == null && m.samplesPerSec() > 0 && m.modelKey() != null;
    }

    /**
     * The sample a speed-measuring metric contributes.
     *
     * @param chip catalogue name of the chip the device stands for
     * @param now  used as the measurement time when the metric does not say when the step ended
     * @throws IllegalArgumentException when the metric claims a speed for a step without samples
     */
    public static SpeedSample sample(StepMetric m, String chip, Instant now) {
        if (m.batch() < 1) {
            throw new IllegalArgumentException("step metric of " + m.deviceId() + " has a speed but no batch");
        }
        Instant at = m.endedAtMs() > 0 ? Instant.ofEpochMilli(m.endedAtMs()) : now;
        return new SpeedSample(m.jobId(), m.planVersion(), m.deviceId(), m.step(), chip, m.modelKey(),
                SpeedSample.microBatch(m.batch(), m.microBatches()), m.samplesPerSec(), at);
    }

    /** Chip named by the metric, else the one the device was registered with. */
    public static Optional<String> chipName(StepMetric m, Optional<String> registered) {
        if (m.chip() != null && !m.chip().isBlank()) {
            return Optional.of(m.chip().trim());
        }
        return registered;
    }
}
