package io.crosstrain.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.crosstrain.testsupport.RandomCases;

class OneFOneBTest {

    record Case(int stage, int stages, int microBatches) {
    }

    @Test
    void everyMicroBatchRunsForwardThenBackwardInOrderWithAtMostPMinusIInFlight() {
        RandomCases.check(List.of(new Case(0, 1, 1), new Case(0, 4, 2), new Case(3, 4, 8)), 500, r -> {
            int p = RandomCases.between(r, 1, 8);
            return new Case(r.nextInt(p), p, RandomCases.between(r, 1, 20));
        }, c -> {
            List<OneFOneB.Op> ops = OneFOneB.schedule(c.stage(), c.stages(), c.microBatches());
            assertThat(ops).hasSize(2 * c.microBatches());
            int nextForward = 0;
            int nextBackward = 0;
            int inFlight = 0;
            int most = 0;
            for (OneFOneB.Op op : ops) {
                if (op.forward()) {
                    assertThat(op.microBatch()).isEqualTo(nextForward++);
                    most = Math.max(most, ++inFlight);
                } else {
                    assertThat(op.microBatch()).isEqualTo(nextBackward++).isLessThan(nextForward);
                    inFlight--;
                }
            }
            assertThat(most).isLessThanOrEqualTo(Math.min(c.stages() - c.stage(), c.microBatches()));
        });
    }

    @Test
    void theLastStageAlternatesAndTheFirstFillsThePipeFirst() {
        assertThat(OneFOneB.schedule(3, 4, 4)).hasToString("[F0, B0, F1, B1, F2, B2, F3, B3]");
        assertThat(OneFOneB.schedule(0, 4, 4)).hasToString("[F0, F1, F2, F3, B0, B1, B2, B3]");
        assertThat(OneFOneB.schedule(1, 4, 6)).hasToString("[F0, F1, F2, B0, F3, B1, F4, B2, F5, B3, B4, B5]");
    }
}
