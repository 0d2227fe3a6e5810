package io.crosstrain.planner.hybrid;

import static org.assertj.core.api.Assertions.assertThat;

import io.crosstrain.testsupport.RandomCases;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The DP split against every contiguous split, on small random stage-cost tables. */
class LayerPartitionProperties {

    private static final int CASES = 1500;

    /** Stage costs as a table: cost[i][a][b], +∞ where the range does not fit. */
    record Case(int layers, int stages, int microBatches, double[][][] cost) {
        double seconds(int i, int a, int b) {
            return cost[i][a][b];
        }

        @Override
        public String toString() {
            return "Case[L=" + layers + ", P=" + stages + ", M=" + microBatches + "]";
        }
    }

    static Case randomCase(SplittableRandom r) {
        int layers = RandomCases.between(r, 1, 8);
        int stages = RandomCases.between(r, 1, Math.min(layers, 5));
        int m = RandomCases.oneOf(r, 1, 2, 3, 8, 40);
        double[] perLayer = new double[stages];
        double[] fixed = new double[stages];
        int[] maxLayers = new int[stages];
        for (int i = 0; i < stages; i++) {
            perLayer[i] = 0.1 + r.nextDouble() * 3; // unlike chips
            fixed[i] = r.nextBoolean() ? 0 : r.nextDouble();
            maxLayers[i] = r.nextInt(4) == 0 ? RandomCases.between(r, 1, layers) : layers; // memory
        }
        boolean irregular = r.nextBoolean(); // blocks of different cost, not only equal ones
        double[] layerWeight = new double[layers];
        for (int a = 0; a < layers; a++) {
            layerWeight[a] = irregular ? 0.5 + r.nextDouble() : 1.0;
        }
        double[][][] cost = new double[stages][layers][layers];
        for (int i = 0; i < stages; i++) {
            for (int a = 0; a < layers; a++) {
                for (int b = a; b < layers; b++) {
                    double w = 0;
                    for (int x = a; x <= b; x++) {
                        w += layerWeight[x];
                    }
                    cost[i][a][b] = b - a + 1 > maxLayers[i] ? Double.POSITIVE_INFINITY : fixed[i] + perLayer[i] * w;
                }
            }
        }
        return new Case(layers, stages, m, cost);
    }

    /** min over every composition of the layers into the stages. */
    static double bruteForce(Case c) {
        return brute(c, 0, 0, 0, 0);
    }

    private static double brute(Case c, int stage, int from, double sum, double max) {
        if (stage == c.stages()) {
            return from == c.layers() ? sum + (c.microBatches() - 1) * max : Double.POSITIVE_INFINITY;
        }
        double best = Double.POSITIVE_INFINITY;
        int left = c.stages() - stage - 1;
        for (int to = from; to <= c.layers() - 1 - left; to++) {
            double t = c.seconds(stage, from, to);
            if (t == Double.POSITIVE_INFINITY || (stage == c.stages() - 1 && to != c.layers() - 1)) {
                continue;
            }
            best = Math.min(best, brute(c, stage + 1, to + 1, sum + t, Math.max(max, t)));
        }
        return best;
    }

    @Test
    void theSplitIsAsGoodAsTheBestOfEveryContiguousSplit() {
        int ran = RandomCases.check(List.of(), CASES, LayerPartitionProperties::randomCase, c -> {
            LayerPartition.Split s = LayerPartition.optimal(c.layers(), c.stages(), c.microBatches(), c::seconds);
            double brute = bruteForce(c);
            if (brute == Double.POSITIVE_INFINITY) {
                assertThat(s.feasible()).as("no split fits, and the DP says so").isFalse();
                return;
            }
            assertThat(s.feasible()).isTrue();
            assertThat(s.cost()).isCloseTo(brute, org.assertj.core.api.Assertions.within(1e-9 * Math.max(1, brute)));
            // the split it returns is a real one: contiguous, every stage at least one block, its own cost as stated
            int[] first = s.firstLayer();
            assertThat(first[0]).isZero();
            double sum = 0;
            double max = 0;
            for (int i = 0; i < first.length; i++) {
                int last = s.lastLayer(i, c.layers());
                assertThat(last).isGreaterThanOrEqualTo(first[i]);
                double t = c.seconds(i, first[i], last);
                assertThat(t).isFinite().isEqualTo(s.stageSeconds()[i]);
                sum += t;
                max = Math.max(max, t);
            }
            assertThat(sum + (c.microBatches() - 1) * max).isCloseTo(s.cost(),
                    org.assertj.core.api.Assertions.within(1e-9 * Math.max(1, brute)));
        });
        assertThat(ran).isEqualTo(CASES);
    }

    @Test
    void theHarnessCanFail() {
        // an equal split of the blocks is beaten on a good share of the cases: the property is not vacuous
        int[] beaten = {0};
        RandomCases.check(List.of(), 300, LayerPartitionProperties::randomCase, c -> {
            double brute = bruteForce(c);
            int[] counts = new int[c.stages()];
            Arrays.fill(counts, c.layers() / c.stages());
            for (int i = 0; i < c.layers() % c.stages(); i++) {
                counts[i]++;
            }
            double sum = 0;
            double max = 0;
            int at = 0;
            for (int i = 0; i < counts.length; i++) {
                double t = c.seconds(i, at, at + counts[i] - 1);
                at += counts[i];
                sum += t;
                max = Math.max(max, t);
            }
            if (sum + (c.microBatches() - 1) * max > brute * (1 + 1e-9)) {
                beaten[0]++;
            }
        });
        assertThat(beaten[0]).isGreaterThan(300 / 5);
    }
}
