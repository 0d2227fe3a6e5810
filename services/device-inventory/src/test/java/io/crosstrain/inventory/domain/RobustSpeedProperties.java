package io.crosstrain.inventory.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.DoubleStream;

import org.junit.jupiter.api.Test;

import io.crosstrain.testsupport.RandomCases;

/**
 * Seeded random checks of the profile estimator. Inliers lie within ±{@value #MAX_SPREAD} of a typical speed;
 * outliers are at least 100× faster or 100× slower than every inlier, and there are at most a quarter as many.
 * For such data the MAD cut-off provably drops every outlier (MAD ≤ inlier range, cut-off ≤ 4.45 × range), so the
 * checks below must hold exactly.
 */
class RobustSpeedProperties {

    static final double MAX_SPREAD = 0.08;

    /** Inliers and outliers; arrays printed in full so a failure can be read. */
    record Case(double[] inliers, double[] outliers) {
        double[] all() {
            return DoubleStream.concat(Arrays.stream(inliers), Arrays.stream(outliers)).toArray();
        }

        @Override
        public String toString() {
            return "inliers " + Arrays.toString(inliers) + ", outliers " + Arrays.toString(outliers);
        }
    }

    static Case randomCase(SplittableRandom r) {
        double typical = Math.pow(10, r.nextDouble(-1, 5));
        double spread = r.nextDouble(0, MAX_SPREAD);
        int n = RandomCases.between(r, 5, RobustSpeed.WINDOW);
        double[] inliers = new double[n];
        for (int i = 0; i < n; i++) {
            // sometimes quantised, so repeated values (and MAD = 0) occur
            double x = typical * (1 + spread * r.nextDouble(-1, 1));
            inliers[i] = r.nextInt(4) == 0 ? typical : x;
        }
        double min = Arrays.stream(inliers).min().orElseThrow();
        double max = Arrays.stream(inliers).max().orElseThrow();
        int k = RandomCases.between(r, 1, Math.max(1, n / 4));
        double[] outliers = new double[k];
        for (int i = 0; i < k; i++) {
            outliers[i] = r.nextBoolean()
                    ? max * r.nextDouble(100, 1e6)          // a step timed against a wrong clock
                    : min * r.nextDouble(0, 0.01);          // a step that stalled
        }
        return new Case(inliers, outliers);
    }

    static final List<Case> EDGE_CASES = List.of(
            new Case(new double[] {100, 100, 100, 100, 100}, new double[] {1e9}),
            new Case(new double[] {100, 100, 100, 100, 100}, new double[] {0}),
            new Case(new double[] {99, 100, 101, 102, 98}, new double[] {1e7}),
            new Case(new double[] {1, 1.08, 1, 1.08, 1, 1.08, 1, 1.08}, new double[] {0, 1e5}),
            new Case(new double[] {0.1, 0.1008, 0.0993, 0.1, 0.1001}, new double[] {1e-6}));

    @Test
    void aFewWildOutliersNeverPullTheEstimateOutOfTheInliers() {
        RandomCases.check(EDGE_CASES, 2000, RobustSpeedProperties::randomCase, c -> {
            double min = Arrays.stream(c.inliers()).min().orElseThrow();
            double max = Arrays.stream(c.inliers()).max().orElseThrow();
            double clean = RobustSpeed.estimate(c.inliers());
            double dirty = RobustSpeed.estimate(shuffled(c.all(), new SplittableRandom(c.inliers().length)));
            assertThat(dirty).isBetween(min, max);
            // the outliers move the estimate by no more than the inliers' own range (≤ 2 × 8 % of their level)
            assertThat(Math.abs(dirty - clean)).isLessThanOrEqualTo(max - min);
        });
    }

    /**
     * Evenly spread inliers are all kept with or without the outliers (their largest distance from the median stays
     * within 4.45 MADs for n + k ≥ 5), so the outliers change nothing at all; a plain median would shift by up to
     * k/2 ranks.
     */
    @Test
    void aFewWildOutliersLeaveEvenlySpreadInliersAtTheirMedian() {
        RandomCases.check(List.of(), 2000, r -> {
            double typical = Math.pow(10, r.nextDouble(-1, 5));
            double spread = r.nextDouble(0.001, MAX_SPREAD);
            int n = RandomCases.between(r, 5, RobustSpeed.WINDOW);
            double step = 2 * spread * typical / (n - 1);
            double[] inliers = new double[n];
            for (int i = 0; i < n; i++) {
                inliers[i] = typical * (1 - spread) + i * step;
            }
            int k = RandomCases.between(r, 1, Math.max(1, n / 4));
            double[] outliers = new double[k];
            boolean high = r.nextBoolean(); // all on one side: the worst case for a plain median
            for (int i = 0; i < k; i++) {
                outliers[i] = high ? inliers[n - 1] * r.nextDouble(100, 1e6) : inliers[0] * r.nextDouble(0, 0.01);
            }
            return new Case(shuffled(inliers, r), outliers);
        }, c -> {
            double[] sorted = c.inliers().clone();
            Arrays.sort(sorted);
            double median = RobustSpeed.median(sorted);
            assertThat(RobustSpeed.estimate(c.all())).isCloseTo(median, offset(
                    1e-12 * median));
        });
    }

    @Test
    void anyEstimateLiesWithinTheSamplesAndIgnoresTheirOrder() {
        RandomCases.check(List.of(new double[] {1}, new double[] {1, 2}, new double[] {5, 5, 5, 6},
                        new double[] {1e-300, 1e300}), 2000,
                r -> {
                    int n = RandomCases.between(r, 1, RobustSpeed.WINDOW);
                    double[] xs = new double[n];
                    for (int i = 0; i < n; i++) {
                        // heavy-tailed on purpose: the estimator must cope with any mix
                        xs[i] = Math.pow(10, r.nextDouble(-3, 6)) * (r.nextInt(5) == 0 ? 1 : r.nextDouble(0.5, 2));
                    }
                    return xs;
                },
                xs -> {
                    double estimate = RobustSpeed.estimate(xs);
                    assertThat(estimate).isBetween(Arrays.stream(xs).min().orElseThrow(),
                            Arrays.stream(xs).max().orElseThrow());
                    assertThat(RobustSpeed.estimate(shuffled(xs, new SplittableRandom(xs.length))))
                            .isEqualTo(estimate);
                });
    }

    @Test
    void scalingTheSamplesScalesTheEstimate() {
        // powers of two scale doubles exactly, so every comparison inside the estimator comes out the same
        RandomCases.check(List.of(), 1000, r -> {
            double[] xs = r.doubles(RandomCases.between(r, 1, RobustSpeed.WINDOW), 1, 1000).toArray();
            return new Case(xs, new double[] {Math.scalb(1.0, RandomCases.between(r, -20, 20))});
        }, c -> {
            double factor = c.outliers()[0];
            double[] scaled = Arrays.stream(c.inliers()).map(x -> x * factor).toArray();
            assertThat(RobustSpeed.estimate(scaled)).isEqualTo(RobustSpeed.estimate(c.inliers()) * factor);
        });
    }

    private static double[] shuffled(double[] xs, SplittableRandom r) {
        double[] copy = xs.clone();
        for (int i = copy.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            double t = copy[i];
            copy[i] = copy[j];
            copy[j] = t;
        }
        return copy;
    }
}
