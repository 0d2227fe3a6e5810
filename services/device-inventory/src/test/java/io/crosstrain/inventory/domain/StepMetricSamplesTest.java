package io.crosstrain.inventory.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.StepMetric;

class StepMetricSamplesTest {

    static final UUID JOB = UUID.fromString("00000000-0000-4000-8000-000000000001");
    static final Instant NOW = Instant.parse("2025-06-01T00:00:00Z");

    static StepMetric metric(String device, int step, int batch, String error, double speed, int microBatches,
                             String model, String chip, long endedAtMs) {
        return new StepMetric(JOB, 1, device, "bj", chip, step, batch, 2.5, 10, 10, 1, 12, 0, endedAtMs, 0, 1000,
                null, "emulated", false, error, speed, microBatches, model);
    }

    @Test
    void onlySuccessfulMeasuredStepsOfAKnownModelTeach() {
        assertThat(StepMetricSamples.measuresSpeed(metric("d", 1, 32, null, 100, 1, "m", "H20", 0))).isTrue();
        assertThat(StepMetricSamples.measuresSpeed(metric("d", 1, 32, "boom", 100, 1, "m", "H20", 0))).isFalse();
        assertThat(StepMetricSamples.measuresSpeed(metric("d", 1, 32, null, 0, 1, "m", "H20", 0))).isFalse();
        assertThat(StepMetricSamples.measuresSpeed(metric("d", 1, 32, null, 100, 1, null, "H20", 0))).isFalse();
    }

    @Test
    void aSampleKeysOnTheMicroBatchAndTheStepEnd() {
        SpeedSample s = StepMetricSamples.sample(metric("d", 7, 33, null, 120, 2, "m", "H20", 5_000), "H20", NOW);
        assertThat(s).isEqualTo(new SpeedSample(JOB, 1, "d", 7, "H20", "m", 17, 120, Instant.ofEpochMilli(5_000)));
        assertThat(StepMetricSamples.sample(metric("d", 7, 33, null, 120, 2, "m", "H20", 0), "H20", NOW)
                .measuredAt()).isEqualTo(NOW);
        assertThatThrownBy(() -> StepMetricSamples.sample(metric("d", 7, 0, null, 120, 2, "m", "H20", 0), "H20", NOW))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void malformedMetricsAreRefused() {
        for (StepMetric bad : new StepMetric[] {
                null,
                new StepMetric(null, 1, "d", "bj", "H20", 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, null, null, false, null),
                metric("Bad_Device", 1, 32, null, 100, 1, "m", "H20", 0),
                metric("d", -1, 32, null, 100, 1, "m", "H20", 0),
                metric("d", 1, -32, null, 100, 1, "m", "H20", 0),
                metric("d", 1, 32, null, Double.NaN, 1, "m", "H20", 0),
                metric("d", 1, 32, null, Double.POSITIVE_INFINITY, 1, "m", "H20", 0),
                metric("d", 1, 32, null, 100, 1, " ", "H20", 0)}) {
            assertThatThrownBy(() -> StepMetricSamples.checkWellFormed(bad))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        StepMetricSamples.checkWellFormed(metric("d", 1, 32, "boom", 0, 0, null, null, 0));
    }

    @Test
    void theMetricsChipWinsOverTheRegisteredOne() {
        assertThat(StepMetricSamples.chipName(metric("d", 1, 1, null, 1, 1, "m", " H20 ", 0), Optional.of("T4")))
                .contains("H20");
        assertThat(StepMetricSamples.chipName(metric("d", 1, 1, null, 1, 1, "m", null, 0), Optional.of("T4")))
                .contains("T4");
        assertThat(StepMetricSamples.chipName(metric("d", 1, 1, null, 1, 1, "m", "", 0), Optional.empty()))
                .isEmpty();
    }
}
