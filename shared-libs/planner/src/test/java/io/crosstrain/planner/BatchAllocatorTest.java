package io.crosstrain.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.crosstrain.contracts.ModelSpec;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BatchAllocatorTest {

    @Test
    void splitsInProportionToSpeed() {
        Allocation a = BatchAllocator.balanced(new double[] {2, 1}, new int[] {100, 100}, 3, false);

        assertThat(a.feasible()).isTrue();
        assertThat(a.batch()).containsExactly(2, 1);
        assertThat(a.microBatches()).containsExactly(1, 1);
        assertThat(a.stepTime()).isEqualTo(1.0);
        assertThat(BatchAllocator.eta(a.batch(), new double[] {2, 1})).isEqualTo(1.0);
    }

    @Test
    void breaksTiesByLowestIndex() {
        Allocation a = BatchAllocator.balanced(new double[] {1, 1, 1}, new int[] {9, 9, 9}, 4, false);

        assertThat(a.batch()).containsExactly(2, 1, 1);
        assertThat(a.stepTime()).isEqualTo(2.0);
    }

    @Test
    void respectsMemoryCapsWithoutAccumulation() {
        Allocation a = BatchAllocator.balanced(new double[] {10, 1}, new int[] {2, 100}, 10, false);

        assertThat(a.batch()).containsExactly(2, 8);
        assertThat(a.stepTime()).isEqualTo(8.0);
    }

    @Test
    void accumulationLetsTheFastDeviceExceedItsCap() {
        Allocation a = BatchAllocator.balanced(new double[] {10, 1}, new int[] {2, 100}, 11, true);

        assertThat(a.batch()).containsExactly(10, 1);
        assertThat(a.microBatches()).containsExactly(5, 1);
        assertThat(a.stepTime()).isEqualTo(1.0);
    }

    @Test
    void breakpointsWhoseProductRoundsDownAreNotMissed() {
        // In doubles (3/0.7)·0.7 = 2.9999999999999996: counting floor(T·s) would think 3 samples overshoot 3/0.7
        // and settle for the next breakpoint 4/0.7 with an uneven split.
        double[] speeds = {0.7, 0.7, 0.7};
        Allocation a = BatchAllocator.balanced(speeds, new int[] {50, 50, 50}, 9, false);

        assertThat(a.batch()).containsExactly(3, 3, 3);
        assertThat(a.stepTime()).isEqualTo(3 / 0.7);
    }

    @Test
    void infeasibleRequestsNameTheNumbers() {
        assertThat(BatchAllocator.balanced(new double[] {1, 2}, new int[] {3, 4}, 8, false).reason())
                .contains("sum to 7").contains("global batch of 8");
        assertThat(BatchAllocator.balanced(new double[] {1, 2}, new int[] {0, 0}, 8, true).reason())
                .contains("memory caps are 0").contains("8");
        assertThat(BatchAllocator.balanced(new double[] {1, 2}, new int[] {3, 4}, 0, false).reason())
                .contains("must be positive, got 0");
        assertThat(BatchAllocator.balanced(new double[0], new int[0], 5, false).reason())
                .contains("no devices").contains("5");
        assertThat(BatchAllocator.balanced(new double[] {1, -2}, new int[] {3, 4}, 5, false).reason())
                .contains("device 1 has speed -2.0");
        assertThat(BatchAllocator.balanced(new double[] {Double.NaN}, new int[] {3}, 2, false).reason())
                .contains("device 0 has speed NaN");
        assertThat(BatchAllocator.equalSplit(new double[] {1, 2}, new int[] {3, 9}, 8, false).reason())
                .contains("device 0 4 samples").contains("memory cap is 3");

        Allocation infeasible = BatchAllocator.balanced(new double[] {1}, new int[] {1}, 2, false);
        assertThat(infeasible.feasible()).isFalse();
        assertThat(infeasible.batch()).isEmpty();
        assertThatThrownBy(() -> BatchAllocator.balanced(new double[] {1}, new int[] {1, 2}, 2, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 entries").hasMessageContaining("2");
    }

    @Test
    void equalSplitGivesTheRemainderToTheLowestIndices() {
        Allocation a = BatchAllocator.equalSplit(new double[] {1, 2, 3, 4}, new int[] {9, 9, 9, 9}, 10, false);

        assertThat(a.batch()).containsExactly(3, 3, 2, 2);
        assertThat(a.stepTime()).isEqualTo(3.0);
    }

    @Test
    void etaCountsIdleDevicesInTheIdealThroughput() {
        // 2 samples in 2 s on the slow device = 1 sample/s, against 1 + 3 = 4 samples/s if both worked
        assertThat(BatchAllocator.eta(new int[] {2, 0}, new double[] {1, 3})).isEqualTo(0.25);
        assertThat(BatchAllocator.eta(new int[] {1, 3}, new double[] {1, 3})).isEqualTo(1.0);
        assertThat(BatchAllocator.eta(new int[] {0, 0}, new double[] {1, 3})).isZero();
    }

    @Test
    void theSection10ClusterIsBalancedAndTheEqualSplitIsNot() {
        ChipCatalogue chips = ChipCatalogue.defaults();
        ModelProfile model = ModelProfile.of(ModelSpec.demo(), 40);
        String[] names = {"A100-80G", "H20", "Ascend-910B"};
        double[] speeds = new double[12];
        int[] caps = new int[12];
        for (int i = 0; i < 12; i++) {
            ChipSpec chip = chips.get(names[i / 4]);
            speeds[i] = CostModel.rooflineSamplesPerSec(chip, model);
            caps[i] = CostModel.memoryCap(chip, model);
        }

        Allocation balanced = BatchAllocator.balanced(speeds, caps, 88, false);
        Allocation equal = BatchAllocator.equalSplit(speeds, caps, 88, false);

        assertThat(balanced.batch()).containsExactly(9, 9, 9, 9, 4, 4, 4, 4, 9, 9, 9, 9);
        assertThat(BatchAllocator.eta(balanced.batch(), speeds)).isGreaterThanOrEqualTo(0.95);
        // The demo model is compute-bound on all three chips, so speeds go as 312 : 148 : 320 TFLOPS. An equal split
        // runs at the H20's pace: 12 devices × 148 over 4 × (312 + 148 + 320) = 3120, i.e. 12·148/3120 ≈ 0.57 when G
        // divides evenly; with G = 88 the H20s get 7 samples while the average is 88/12 ≈ 7.33, hence ≈ 0.596.
        double equalEta = BatchAllocator.eta(equal.batch(), speeds);
        assertThat(equalEta).isBetween(0.5, 0.62);
        assertThat(equalEta).isCloseTo(88.0 * 148 / (7 * 3120), within(1e-3));
    }

    @Test
    void tenThousandDevicesGetAnExactlyOptimalSplit() {
        SplittableRandom random = new SplittableRandom(42);
        int n = 10_000;
        double[] speeds = new double[n];
        int[] caps = new int[n];
        for (int i = 0; i < n; i++) {
            speeds[i] = 0.5 + random.nextDouble() * 20;
            caps[i] = random.nextInt(0, 200);
        }
        int g = 400_000;

        Allocation a = BatchAllocator.balanced(speeds, caps, g, false);

        assertThat(a.feasible()).isTrue();
        assertThat(a.total()).isEqualTo(g);
        int[] b = a.batch();
        for (int i = 0; i < n; i++) {
            assertThat(b[i]).isBetween(0, caps[i]);
        }
        assertOptimal(speeds, caps, g, a.stepTime());

        Allocation accumulated = BatchAllocator.balanced(speeds, caps, 1_000_000, true);
        assertThat(accumulated.total()).isEqualTo(1_000_000);
        int[] unlimited = Arrays.stream(caps).map(c -> c > 0 ? 1_000_000 : 0).toArray();
        assertOptimal(speeds, unlimited, 1_000_000, accumulated.stepTime());
    }

    /**
     * Certificate of optimality: counting, for every device, the samples it could finish strictly before
     * {@code step} gives fewer than G, so no split can have a smaller maximum.
     */
    private static void assertOptimal(double[] speeds, int[] limit, int g, double step) {
        long strictlyFaster = 0;
        for (int i = 0; i < speeds.length; i++) {
            long k = Math.min(limit[i], (long) Math.floor(step * speeds[i]) + 1);
            while (k > 0 && k / speeds[i] >= step) {
                k--;
            }
            strictlyFaster += k;
        }
        assertThat(strictlyFaster).isLessThan(g);
    }
}
