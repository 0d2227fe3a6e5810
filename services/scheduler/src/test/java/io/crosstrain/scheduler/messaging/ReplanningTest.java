package io.crosstrain.scheduler.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;

/** When a re-plan goes out at all. */
class ReplanningTest {

    private static final Plan TWELVE_STEPS = new Plan(UUID.randomUUID(), 4, "sync-dp", "balanced", Plan.EMULATED, 1.0,
            new ModelSpec(2, 16, 2, 16, 0), DatasetSpec.bundled(), 12, 8, 0.01, 7, 2, List.of("dc"),
            List.of(new PlanDevice("d0", "n0", "dc", "A100-80G", 0, 8, 1, 100.0, 0.0)), null);

    @Test
    void aRebalanceThatWouldTakeOverAfterTheLastStepIsNotPlanned() {
        // metrics lag: a drift seen at step 12 asks for a version from step 14, when every run has ended
        assertThat(Replanning.takesOverInTime(TWELVE_STEPS, 14, false)).isFalse();
        assertThat(Replanning.takesOverInTime(TWELVE_STEPS, 13, false)).isFalse();
        assertThat(Replanning.takesOverInTime(TWELVE_STEPS, 12, false)).isTrue();
    }

    @Test
    void aRecoveryAlwaysGoesOut() {
        assertThat(Replanning.takesOverInTime(TWELVE_STEPS, 13, true)).isTrue();
    }
}
