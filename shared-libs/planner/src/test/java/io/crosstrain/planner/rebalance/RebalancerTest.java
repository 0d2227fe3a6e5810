package io.crosstrain.planner.rebalance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RebalancerTest {

    private static Map<String, Double> speeds(Object... idAndSpeed) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < idAndSpeed.length; i += 2) {
            m.put((String) idAndSpeed[i], ((Number) idAndSpeed[i + 1]).doubleValue());
        }
        return m;
    }

    private static Rebalancer planned(long version, Object... idAndSpeed) {
        Rebalancer r = new Rebalancer();
        r.plan(version, speeds(idAndSpeed));
        return r;
    }

    @Test
    void firesAtTheThirdSlowStepWithTheMedianAndAReason() {
        Rebalancer r = planned(4, "gy-0", 40.1, "gy-1", 40.0);

        assertThat(r.observe("gy-0", 4, 10, 24.10)).isEmpty();
        assertThat(r.observe("gy-1", 4, 10, 40.3)).isEmpty();
        assertThat(r.observe("gy-0", 4, 11, 23.90)).isEmpty();
        Optional<RebalanceDecision> d = r.observe("gy-0", 4, 12, 24.06);

        assertThat(d).isPresent();
        assertThat(d.get().planVersion()).isEqualTo(4);
        assertThat(d.get().step()).isEqualTo(12);
        assertThat(d.get().speeds()).containsExactly(Map.entry("gy-0", 24.06), Map.entry("gy-1", 40.0));
        assertThat(d.get().drifts()).containsExactly(new RebalanceDecision.Drift("gy-0", 40.1, 24.06, 3, 3));
        assertThat(d.get().reason()).isEqualTo("device gy-0 measured 0.60× its planned 40.1 samples/s for 3 steps");
    }

    @Test
    void aStepWithinTheThresholdResetsTheStreak() {
        Rebalancer r = planned(1, "a", 100);

        r.observe("a", 1, 1, 80);
        r.observe("a", 1, 2, 80);
        assertThat(r.observe("a", 1, 3, 96)).isEmpty();
        assertThat(r.observe("a", 1, 4, 80)).isEmpty();
        assertThat(r.observe("a", 1, 5, 80)).isEmpty();
        assertThat(r.observe("a", 1, 6, 80)).isPresent();
    }

    @Test
    void exactlyTheThresholdDoesNotCount() {
        Rebalancer r = planned(1, "a", 40);
        for (int step = 1; step <= 10; step++) {
            assertThat(r.observe("a", 1, step, step % 2 == 0 ? 42 : 38)).isEmpty();
        }
    }

    @Test
    void aFasterDeviceFiresTooAndAChangeOfDirectionStartsANewStreak() {
        Rebalancer r = planned(1, "a", 100, "b", 100);

        r.observe("a", 1, 1, 70);
        r.observe("a", 1, 2, 70);
        assertThat(r.observe("a", 1, 3, 130)).isEmpty();
        assertThat(r.observe("a", 1, 4, 125)).isEmpty();
        Optional<RebalanceDecision> d = r.observe("a", 1, 5, 120);

        assertThat(d).isPresent();
        assertThat(d.get().speeds()).containsEntry("a", 125.0).containsEntry("b", 100.0);
        assertThat(d.get().reason()).startsWith("device a measured 1.25× its planned 100.0 samples/s for 3 steps");
    }

    @Test
    void duplicateAndLateStepsCountOnce() {
        Rebalancer r = planned(1, "a", 100);

        assertThat(r.observe("a", 1, 7, 50)).isEmpty();
        assertThat(r.observe("a", 1, 7, 50)).isEmpty();
        assertThat(r.observe("a", 1, 7, 50)).isEmpty();
        assertThat(r.observe("a", 1, 6, 50)).isEmpty();
        assertThat(r.observe("a", 1, 8, 50)).isEmpty();
        // a redelivered step with a wild value neither counts nor enters the median
        assertThat(r.observe("a", 1, 8, 1)).isEmpty();
        Optional<RebalanceDecision> d = r.observe("a", 1, 9, 52);

        assertThat(d).isPresent();
        assertThat(d.get().step()).isEqualTo(9);
        assertThat(d.get().speeds().get("a")).isEqualTo(50.0);
    }

    @Test
    void observationsOfOtherVersionsUnknownDevicesOrBeforeAnyPlanAreIgnored() {
        Rebalancer r = new Rebalancer();
        assertThat(r.observe("a", 1, 1, 10)).isEmpty();
        assertThat(r.planVersion()).isEmpty();

        r.plan(2, speeds("a", 100));
        for (int step = 1; step <= 5; step++) {
            assertThat(r.observe("a", 1, step, 10)).isEmpty();
            assertThat(r.observe("a", 3, step, 10)).isEmpty();
            assertThat(r.observe("zz", 2, step, 10)).isEmpty();
        }
        // the ignored ones left no streak behind
        assertThat(r.observe("a", 2, 6, 10)).isEmpty();
        assertThat(r.observe("a", 2, 7, 10)).isEmpty();
        assertThat(r.observe("a", 2, 8, 10)).isPresent();
    }

    @Test
    void staysQuietAfterADecisionUntilANewerPlan() {
        Rebalancer r = planned(1, "a", 100, "b", 50);
        for (int step = 1; step <= 2; step++) {
            r.observe("a", 1, step, 60);
        }
        RebalanceDecision d = r.observe("a", 1, 3, 60).orElseThrow();
        assertThat(r.awaitingPlan()).isTrue();
        for (int step = 4; step <= 20; step++) {
            assertThat(r.observe("a", 1, step, 30)).isEmpty();
            assertThat(r.observe("b", 1, step, 10)).isEmpty();
        }

        assertThatThrownBy(() -> r.plan(1, d.speeds())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not newer");
        r.plan(2, d.speeds());
        assertThat(r.awaitingPlan()).isFalse();
        assertThat(r.planVersion()).hasValue(2);
        // the new plan's speeds are right: no decision, however long it runs
        for (int step = 21; step <= 40; step++) {
            assertThat(r.observe("a", 2, step, 61)).isEmpty();
            assertThat(r.observe("b", 2, step, 49)).isEmpty();
        }
        // a new drift under the new plan fires again, and the old streaks were forgotten
        r.observe("b", 2, 41, 20);
        r.observe("b", 2, 42, 20);
        assertThat(r.observe("b", 2, 43, 20)).isPresent();
    }

    @Test
    void anotherDriftingDeviceGetsItsMedianButASingleNoisyStepDoesNot() {
        Rebalancer r = planned(1, "slow", 100, "alsoSlow", 100, "noisy", 100, "steady", 100);
        for (int step = 1; step <= 5; step++) {
            r.observe("alsoSlow", 1, step, step == 3 ? 100 : 80);
            r.observe("noisy", 1, step, step == 5 ? 70 : 101);
            r.observe("steady", 1, step, 99);
        }
        r.observe("slow", 1, 4, 50);
        r.observe("slow", 1, 5, 50);
        RebalanceDecision d = r.observe("slow", 1, 6, 50).orElseThrow();

        assertThat(d.speeds()).containsExactly(Map.entry("slow", 50.0), Map.entry("alsoSlow", 80.0),
                Map.entry("noisy", 100.0), Map.entry("steady", 100.0));
        assertThat(d.drifts()).extracting(RebalanceDecision.Drift::deviceId).containsExactly("slow", "alsoSlow");
        assertThat(d.reason()).isEqualTo("device slow measured 0.50× its planned 100.0 samples/s for 3 steps; "
                + "device alsoSlow measured 0.80× its planned 100.0 samples/s (median of its last 5 steps)");
    }

    @Test
    void theEstimateLooksAtTheLastWindowOfTheStreakOnly() {
        Rebalancer r = new Rebalancer(0.05, 4, 2);
        r.plan(1, speeds("a", 100));
        r.observe("a", 1, 1, 10);
        r.observe("a", 1, 2, 20);
        r.observe("a", 1, 3, 60);
        RebalanceDecision d = r.observe("a", 1, 4, 70).orElseThrow();

        assertThat(d.speeds().get("a")).isEqualTo(65.0);
        assertThat(d.drifts().get(0).samples()).isEqualTo(2);
        assertThat(d.reason()).endsWith("for 4 steps");
    }

    @Test
    void oneConsecutiveStepFiresAtOnce() {
        Rebalancer r = new Rebalancer(0.1, 1, 5);
        r.plan(1, speeds("a", 100));
        r.observe("a", 1, 1, 100);
        r.observe("a", 1, 2, 100);
        RebalanceDecision d = r.observe("a", 1, 3, 40).orElseThrow();

        // not the median of the last five (100): the samples before the change do not count
        assertThat(d.speeds().get("a")).isEqualTo(40.0);
        assertThat(d.reason()).endsWith("for 1 step");
    }

    @Test
    void rejectsMalformedArguments() {
        assertThatThrownBy(() -> new Rebalancer(0, 3, 5)).hasMessageContaining("threshold");
        assertThatThrownBy(() -> new Rebalancer(1, 3, 5)).hasMessageContaining("threshold");
        assertThatThrownBy(() -> new Rebalancer(Double.NaN, 3, 5)).hasMessageContaining("threshold");
        assertThatThrownBy(() -> new Rebalancer(0.05, 0, 5)).hasMessageContaining("consecutive");
        assertThatThrownBy(() -> new Rebalancer(0.05, 3, 0)).hasMessageContaining("window");

        Rebalancer r = new Rebalancer();
        assertThatThrownBy(() -> r.plan(1, Map.of())).hasMessageContaining("no devices");
        assertThatThrownBy(() -> r.plan(1, speeds("a", 0))).hasMessageContaining("device a");
        assertThatThrownBy(() -> r.plan(1, speeds("a", Double.POSITIVE_INFINITY))).hasMessageContaining("device a");
        r.plan(1, speeds("a", 1));
        assertThatThrownBy(() -> r.observe("a", 1, 1, Double.NaN)).hasMessageContaining("device a step 1");
        assertThatThrownBy(() -> r.observe("a", 1, 1, -3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> r.observe(null, 1, 1, 1)).isInstanceOf(NullPointerException.class);
    }
}
