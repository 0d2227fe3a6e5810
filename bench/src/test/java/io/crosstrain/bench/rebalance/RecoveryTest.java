package io.crosstrain.bench.rebalance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RecoveryTest {

    @Test
    void splitsTheRunIntoBeforeDuringAndAfter() {
        //                 warm-up   before          slowed (old plan)  new plan
        double[] eta = {0.5, 0.7, 0.99, 0.97, 0.98, 0.60, 0.61, 0.59, 0.975, 0.985, 0.98};

        Recovery r = Recovery.of(eta, 2, 5, 8, 0.02);

        assertThat(r.etaBefore()).isCloseTo(0.98, within(1e-12));
        assertThat(r.etaDuring()).isCloseTo(0.60, within(1e-12));
        assertThat(r.etaAfter()).isCloseTo(0.98, within(1e-12));
        assertThat(r.roundsToRecover()).isEqualTo(3);
    }

    @Test
    void recoveryIsTheFirstRoundWithinTheToleranceEvenBeforeTheNewPlan() {
        double[] eta = {1.0, 1.0, 0.5, 0.985, 0.5, 1.0};

        Recovery r = Recovery.of(eta, 0, 2, 4, 0.02);

        assertThat(r.roundsToRecover()).isEqualTo(1);
        assertThat(r.etaDuring()).isCloseTo(0.7425, within(1e-12));
    }

    @Test
    void withoutANewPlanEverythingAfterTheSlowdownIsDuringAndNothingRecovers() {
        double[] eta = {1.0, 1.0, 0.6, 0.6, 0.97};

        Recovery r = Recovery.of(eta, 0, 2, -1, 0.02);

        assertThat(r.etaDuring()).isCloseTo(0.7233333333333333, within(1e-12));
        assertThat(r.etaAfter()).isNaN();
        assertThat(r.roundsToRecover()).isEqualTo(-1);
    }

    @Test
    void theMedianIgnoresAStalledRound() {
        double[] eta = {0.3, 0.99, 0.61, 0.98, 0.97, 0.2};

        assertThat(Recovery.median(eta, 1, 5)).isCloseTo(0.975, within(1e-12));
        assertThat(Recovery.median(eta, 1, 4)).isCloseTo(0.98, within(1e-12));
        assertThat(Recovery.median(eta, 3, 3)).isNaN();
        assertThat(Recovery.mean(eta, 3, 3)).isNaN();
    }

    @Test
    void rejectsRoundsInTheWrongOrder() {
        double[] eta = new double[10];
        assertThatThrownBy(() -> Recovery.of(eta, 5, 5, -1, 0.02)).hasMessageContaining("warmup");
        assertThatThrownBy(() -> Recovery.of(eta, 0, 10, -1, 0.02)).hasMessageContaining("slowRound");
        assertThatThrownBy(() -> Recovery.of(eta, 0, 5, 5, 0.02)).hasMessageContaining("after the slowdown");
    }
}
