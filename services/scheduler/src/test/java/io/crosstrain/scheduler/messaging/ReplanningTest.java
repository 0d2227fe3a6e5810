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
    void aLossRecoversOnTheVersionInEffectNotOnJoinersDueLater() {
        // v2 runs from step 4; v3 adds two joiners from step 9; a loss with round 8 uncommitted recovers from v2
        Plan v2 = TWELVE_STEPS.next(List.of("dc"), TWELVE_STEPS.devices(), null, 4, "lost", true);
        Plan v3 = v2.next(List.of("dc"), List.of(TWELVE_STEPS.devices().get(0),
                new PlanDevice("j1", "n1", "dc", "A100-80G", 1, 4, 1, 100.0, 0.0)), null, 9, "elastic", false);
        List<Plan> versions = List.of(TWELVE_STEPS, v2, v3);
        assertThat(Replanning.inEffectAt(versions, 8).planVersion()).isEqualTo(v2.planVersion());
        assertThat(Replanning.inEffectAt(versions, 9).planVersion()).isEqualTo(v3.planVersion());
        assertThat(Replanning.inEffectAt(versions, 12).planVersion()).isEqualTo(v3.planVersion());
        // before any version's start (a resume plan's first rounds), the oldest
        assertThat(Replanning.inEffectAt(List.of(v2, v3), 1).planVersion()).isEqualTo(v2.planVersion());
    }

    @Test
    void aRecoveryAlwaysGoesOut() {
        assertThat(Replanning.takesOverInTime(TWELVE_STEPS, 13, true)).isTrue();
    }
}
