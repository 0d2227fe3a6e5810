package io.crosstrain.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The allocator against a brute-force search over every integer split of small cases. */
class BatchAllocatorProperties {

    record Case(double[] speeds, int[] caps, int globalBatch) {
        @Override
        public String toString() {
            return "speeds=" + Arrays.toString(speeds) + " caps=" + Arrays.toString(caps) + " G=" + globalBatch;
        }
    }

    @Provide
    Arbitrary<Case> cases() {
        // Mix arbitrary speeds with "round" ones so that breakpoints k/s_i often coincide (ties, rounding).
        Arbitrary<Double> speed = Arbitraries.oneOf(
                Arbitraries.doubles().between(0.1, 10.0),
                Arbitraries.of(0.1, 0.2, 0.3, 0.6, 0.7, 1.0, 1.5, 3.0, 4.5, 7.0, 10.0));
        return Arbitraries.integers().between(1, 5).flatMap(n -> Combinators.combine(
                        speed.list().ofSize(n),
                        Arbitraries.integers().between(0, 12).list().ofSize(n),
                        Arbitraries.integers().between(1, 30))
                .as((s, c, g) -> new Case(toDoubles(s), toInts(c), g)));
    }

    @Property
    void balancedIsTheExactOptimumWithoutAccumulation(@ForAll("cases") Case c) {
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
    }

    @Property
    void balancedIsTheExactOptimumWithAccumulation(@ForAll("cases") Case c) {
        Allocation a = BatchAllocator.balanced(c.speeds(), c.caps(), c.globalBatch(), true);
        boolean anyRoom = Arrays.stream(c.caps()).anyMatch(cap -> cap > 0);

        assertThat(a.feasible()).isEqualTo(anyRoom);
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
    }

    @Property
    void equalSplitHandsOutGEvenlyRemainderFirst(@ForAll("cases") Case c) {
        Allocation a = BatchAllocator.equalSplit(c.speeds(), c.caps(), c.globalBatch(), false);
        int n = c.speeds().length;
        int[] expected = new int[n];
        boolean fits = true;
        for (int i = 0; i < n; i++) {
            expected[i] = c.globalBatch() / n + (i < c.globalBatch() % n ? 1 : 0);
            fits &= expected[i] <= c.caps()[i];
        }
        assertThat(a.feasible()).isEqualTo(fits);
        if (a.feasible()) {
            assertThat(a.batch()).containsExactly(expected);
            assertThat(Arrays.stream(a.batch()).sum()).isEqualTo(c.globalBatch());
            assertThat(a.stepTime()).isEqualTo(BatchAllocator.stepTime(expected, c.speeds()));
        }
    }

    @Property
    void etaIsAtMostOneAndBalancedBeatsEqualSplit(@ForAll("cases") Case c, @ForAll boolean accumulate) {
        Allocation balanced = BatchAllocator.balanced(c.speeds(), c.caps(), c.globalBatch(), accumulate);
        Allocation equal = BatchAllocator.equalSplit(c.speeds(), c.caps(), c.globalBatch(), accumulate);
        if (equal.feasible()) {
            // whatever the equal split can run, the balanced one can too
            assertThat(balanced.feasible()).isTrue();
            assertThat(BatchAllocator.eta(equal.batch(), c.speeds())).isLessThanOrEqualTo(1 + 1e-12);
        }
        if (balanced.feasible()) {
            double balancedEta = BatchAllocator.eta(balanced.batch(), c.speeds());
            assertThat(balancedEta).isPositive().isLessThanOrEqualTo(1 + 1e-12);
            if (equal.feasible()) {
                assertThat(balancedEta).isGreaterThanOrEqualTo(BatchAllocator.eta(equal.batch(), c.speeds()) - 1e-12);
            }
        }
    }

    /** Most samples each device may take: its cap, or (accumulating) G when it holds at least one sample. */
    private static int[] limits(int[] caps, int g, boolean accumulate) {
        return Arrays.stream(caps).map(cap -> accumulate ? (cap > 0 ? g : 0) : Math.min(cap, g)).toArray();
    }

    /** min over all integer b with Σ b = G, 0 ≤ b_i ≤ limit_i of max_i b_i/s_i. */
    private static double bruteForce(double[] speeds, int[] limit, int g) {
        return search(speeds, limit, 0, g, 0.0);
    }

    private static double search(double[] speeds, int[] limit, int i, int left, double worst) {
        if (i == speeds.length) {
            return left == 0 ? worst : Double.POSITIVE_INFINITY;
        }
        double best = Double.POSITIVE_INFINITY;
        for (int b = 0; b <= Math.min(limit[i], left); b++) {
            double time = b == 0 ? worst : Math.max(worst, b / speeds[i]);
            if (time < best) {
                best = Math.min(best, search(speeds, limit, i + 1, left - b, time));
            }
        }
        return best;
    }

    private static double[] toDoubles(List<Double> list) {
        return list.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static int[] toInts(List<Integer> list) {
        return list.stream().mapToInt(Integer::intValue).toArray();
    }
}
