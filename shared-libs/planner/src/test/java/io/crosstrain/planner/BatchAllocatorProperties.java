package io.crosstrain.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.crosstrain.testsupport.RandomCases;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Properties of the allocator, checked against a brute-force search over every integer split. Each property runs
 * on 2,000 random cases (1–5 devices, speeds 0.1–10, caps 0–12, G 1–30) drawn by {@link RandomCases}, so a
 * failure names a reproducible case. Half of the speeds come from a few "round" values so that breakpoints k/s_i
 * often coincide and their products round badly in binary floating point.
 */
class BatchAllocatorProperties {

    private static final int CASES = 2_000;
    private static final double[] ROUND_SPEEDS = {0.1, 0.2, 0.3, 0.6, 0.7, 1.0, 1.5, 3.0, 4.5, 7.0, 10.0};

    record Case(double[] speeds, int[] caps, int globalBatch, boolean accumulate) {
        @Override
        public String toString() {
            return "speeds=" + Arrays.toString(speeds) + " caps=" + Arrays.toString(caps) + " G=" + globalBatch
                    + " accumulate=" + accumulate;
        }
    }

    @Test
    void balancedIsTheExactOptimumWithoutAccumulation() {
        RandomCases.check(List.of(), CASES, BatchAllocatorProperties::randomCase, c -> {
            Allocation a = BatchAllocator.balanced(c.speeds(), c.caps(), c.globalBatch(), false);
            int capSum = Arrays.stream(c.caps()).sum();

            assertThat(a.feasible()).isEqualTo(capSum >= c.globalBatch());
            if (!a.feasible()) {
                assertThat(a.reason()).contains(String.valueOf(capSum)).contains(String.valueOf(c.globalBatch()));
                return;
            }
            int[] b = a.batch();
            assertThat(Arrays.stream(b).sum()).isEqualTo(c.globalBatch());
            for (int i = 0; i < b.length; i++) {
                assertThat(b[i]).isBetween(0, c.caps()[i]);
                assertThat(a.microBatches()[i]).isEqualTo(b[i] > 0 ? 1 : 0);
            }
            double optimum = bruteForce(c.speeds(), limits(c.caps(), c.globalBatch(), false), c.globalBatch());
            assertThat(a.stepTime()).isCloseTo(optimum, within(1e-12 * optimum));
            assertThat(a.stepTime()).isEqualTo(BatchAllocator.stepTime(b, c.speeds()));
        });
    }

    @Test
    void balancedIsTheExactOptimumWithAccumulation() {
        RandomCases.check(List.of(), CASES, BatchAllocatorProperties::randomCase, c -> {
            Allocation a = BatchAllocator.balanced(c.speeds(), c.caps(), c.globalBatch(), true);

            assertThat(a.feasible()).isEqualTo(Arrays.stream(c.caps()).anyMatch(cap -> cap > 0));
            if (!a.feasible()) {
                return;
            }
            int[] b = a.batch();
            assertThat(Arrays.stream(b).sum()).isEqualTo(c.globalBatch());
            for (int i = 0; i < b.length; i++) {
                assertThat(b[i]).isNotNegative();
                int expectedMicro = b[i] == 0 ? 0 : (b[i] + c.caps()[i] - 1) / c.caps()[i];
                assertThat(a.microBatches()[i]).as("micro-batches of device %d", i).isEqualTo(expectedMicro);
            }
            double optimum = bruteForce(c.speeds(), limits(c.caps(), c.globalBatch(), true), c.globalBatch());
            assertThat(a.stepTime()).isCloseTo(optimum, within(1e-12 * optimum));
        });
    }

    @Test
    void equalSplitHandsOutGEvenlyRemainderFirst() {
        RandomCases.check(List.of(), CASES, BatchAllocatorProperties::randomCase, c -> {
            Allocation a = BatchAllocator.equalSplit(c.speeds(), c.caps(), c.globalBatch(), c.accumulate());
            int n = c.speeds().length;
            int[] expected = new int[n];
            boolean fits = true;
            for (int i = 0; i < n; i++) {
                expected[i] = c.globalBatch() / n + (i < c.globalBatch() % n ? 1 : 0);
                fits &= expected[i] == 0 || (c.accumulate() ? c.caps()[i] > 0 : expected[i] <= c.caps()[i]);
            }
            assertThat(a.feasible()).isEqualTo(fits);
            if (a.feasible()) {
                assertThat(a.batch()).containsExactly(expected);
                assertThat(Arrays.stream(a.batch()).sum()).isEqualTo(c.globalBatch());
                assertThat(a.stepTime()).isEqualTo(BatchAllocator.stepTime(expected, c.speeds()));
            }
        });
    }

    @Test
    void etaIsAtMostOneAndBalancedBeatsEqualSplit() {
        RandomCases.check(List.of(), CASES, BatchAllocatorProperties::randomCase, c -> {
            Allocation balanced = BatchAllocator.balanced(c.speeds(), c.caps(), c.globalBatch(), c.accumulate());
            Allocation equal = BatchAllocator.equalSplit(c.speeds(), c.caps(), c.globalBatch(), c.accumulate());
            if (equal.feasible()) {
                // whatever the equal split can run, the balanced one can too
                assertThat(balanced.feasible()).isTrue();
                assertThat(BatchAllocator.eta(equal.batch(), c.speeds())).isPositive().isLessThanOrEqualTo(1 + 1e-12);
            }
            if (balanced.feasible()) {
                double balancedEta = BatchAllocator.eta(balanced.batch(), c.speeds());
                assertThat(balancedEta).isPositive().isLessThanOrEqualTo(1 + 1e-12);
                if (equal.feasible()) {
                    assertThat(balancedEta)
                            .isGreaterThanOrEqualTo(BatchAllocator.eta(equal.batch(), c.speeds()) - 1e-12);
                }
            }
        });
    }

    @Test
    void theHarnessCanFail() {
        // guard against a vacuous harness: a wrong "optimum" (equal split) must be caught on some generated case
        int[] caught = {0};
        RandomCases.check(List.of(), CASES, BatchAllocatorProperties::randomCase, c -> {
            int[] limit = limits(c.caps(), c.globalBatch(), true);
            Allocation equal = BatchAllocator.equalSplit(c.speeds(), c.caps(), c.globalBatch(), true);
            if (equal.feasible()
                    && equal.stepTime() > bruteForce(c.speeds(), limit, c.globalBatch()) * (1 + 1e-12)) {
                caught[0]++;
            }
        });
        assertThat(caught[0]).isGreaterThan(CASES / 10);
    }

    private static Case randomCase(SplittableRandom random) {
        int n = random.nextInt(1, 6);
        double[] speeds = new double[n];
        int[] caps = new int[n];
        for (int i = 0; i < n; i++) {
            speeds[i] = random.nextBoolean()
                    ? ROUND_SPEEDS[random.nextInt(ROUND_SPEEDS.length)]
                    : 0.1 + random.nextDouble() * 9.9;
            caps[i] = random.nextInt(0, 13);
        }
        return new Case(speeds, caps, random.nextInt(1, 31), random.nextBoolean());
    }

    /** Most samples each device may take: its cap, or (accumulating) G when it holds at least one sample. */
    private static int[] limits(int[] caps, int g, boolean accumulate) {
        return Arrays.stream(caps).map(cap -> accumulate ? (cap > 0 ? g : 0) : Math.min(cap, g)).toArray();
    }

    /** min over all integer b with Σ b = G, 0 ≤ b_i ≤ limit_i of max_i b_i/s_i; +∞ when no such b exists. */
    static double bruteForce(double[] speeds, int[] limit, int g) {
        return search(speeds, limit, 0, g, 0.0, Double.POSITIVE_INFINITY);
    }

    private static double search(double[] speeds, int[] limit, int i, int left, double worst, double bestSoFar) {
        if (i == speeds.length) {
            return left == 0 ? worst : Double.POSITIVE_INFINITY;
        }
        double best = bestSoFar;
        for (int b = 0; b <= Math.min(limit[i], left); b++) {
            double time = b == 0 ? worst : Math.max(worst, b / speeds[i]);
            if (time < best) {   // a partial maximum only grows: prune branches that cannot win
                best = Math.min(best, search(speeds, limit, i + 1, left - b, time, best));
            }
        }
        return best;
    }
}
