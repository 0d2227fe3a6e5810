package io.crosstrain.bench.rebalance;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Structure of an emulated run, whatever the host's timing: every round is there once, every round places the
 * whole batch, and a new plan takes effect exactly at the round after its decision. (How fast the detector fires
 * depends on wall-clock pacing, so it is the bench's figure, not asserted here.)
 */
class EmulatedClusterTest {

    private static final List<EmulatedCluster.Device> DEVICES = List.of(
            new EmulatedCluster.Device("a", "X", 300, 1000),
            new EmulatedCluster.Device("b", "X", 300, 1000),
            new EmulatedCluster.Device("c", "Y", 150, 1000));

    /** k so that a balanced round of 30 samples (0.04 s of chip time) lasts about 4 ms. */
    private static EmulatedCluster.Scenario scenario(boolean rebalance) {
        return new EmulatedCluster.Scenario(DEVICES, 30, 10, 16, 4, 0, 0.5, rebalance, 0.05, 3, 5);
    }

    @Test
    void everyRoundRunsOnceAndNewPlansApplyAtTheNextRound() throws Exception {
        EmulatedCluster.Result result = EmulatedCluster.run(scenario(true));

        assertThat(result.initial().batch()).containsExactly(12, 12, 6);
        assertThat(result.rounds()).extracting(EmulatedCluster.Round::round)
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, 16).boxed().toList());
        for (EmulatedCluster.Round r : result.rounds()) {
            assertThat(Arrays.stream(r.batch()).sum()).isEqualTo(30);
            assertThat(r.trueSpeeds()[0]).isEqualTo(r.round() < 4 ? 300.0 : 150.0);
            assertThat(r.eta()).isPositive();
        }
        long version = 1;
        int[] batch = result.initial().batch();
        for (EmulatedCluster.Round r : result.rounds()) {
            for (EmulatedCluster.Decision d : result.decisions()) {
                if (d.appliedRound() == r.round()) {
                    assertThat(d.appliedRound()).isEqualTo(d.round() + 1);
                    version++;
                    batch = d.allocation().batch();
                }
            }
            assertThat(r.planVersion()).as("round %d", r.round()).isEqualTo(version);
            assertThat(r.batch()).as("round %d", r.round()).containsExactly(batch);
        }
    }

    @Test
    void withRebalancingOffThePlanNeverChanges() throws Exception {
        EmulatedCluster.Result result = EmulatedCluster.run(scenario(false));

        assertThat(result.rounds()).hasSize(16);
        assertThat(result.rounds()).allSatisfy(r -> {
            assertThat(r.planVersion()).isEqualTo(1);
            assertThat(r.batch()).containsExactly(12, 12, 6);
        });
        assertThat(result.decisions()).allSatisfy(d -> assertThat(d.appliedRound()).isEqualTo(-1));
    }
}
