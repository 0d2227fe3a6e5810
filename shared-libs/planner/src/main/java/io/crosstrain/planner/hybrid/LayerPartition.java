package io.crosstrain.planner.hybrid;

import java.util.Arrays;
import java.util.Objects;

/**
 * The best split of a model's blocks into contiguous stages over a fixed sequence of devices, for a fixed
 * micro-batch size and count (ARCHITECTURE §11).
 *
 * <p>Cost of one replica step under 1F1B with {@code M} micro-batches: {@code Σ_i (T_i + 2·C_i) + (M − 1)·max_i T_i},
 * {@code T_i} stage i's forward and backward of one micro-batch, {@code C_i} the hand-over to stage i+1. The
 * hand-overs do not depend on the split (every boundary carries one micro-batch's activations), so the split
 * minimises {@code f = Σ_i T_i + (M − 1)·max_i T_i} subject to every stage holding at least one block and fitting its
 * device's memory.
 *
 * <p>Exact: the optimum's bottleneck {@code max_i T_i} is one of the finitely many stage times {@code B}. For a bound
 * {@code B}, dynamic programming over (stage, blocks used) gives the least {@code S(B) = Σ_i T_i} among splits whose
 * stages all take at most {@code B}; then {@code f* = min_B S(B) + (M − 1)·B}: a split that attains {@code S(B)} has
 * its bottleneck at or below {@code B}, so its own cost is no higher. Candidates are tried from the smallest feasible
 * one upwards and the search stops once {@code (M − 1)·B + S(∞)} cannot beat the best found. Each DP is
 * {@code O(P·L²)}.
 */
public final class LayerPartition {

    /** Seconds of stage {@code stage} running blocks {@code [first, last]}; +∞ when they do not fit its device. */
    @FunctionalInterface
    public interface StageCost {
        double seconds(int stage, int first, int last);
    }

    /**
     * @param feasible    false when no split fits; {@code reason} then says why
     * @param firstLayer  first block of each stage (stage i runs {@code firstLayer[i] .. firstLayer[i+1]−1})
     * @param stageSeconds {@code T_i}
     * @param cost        {@code Σ T_i + (M − 1)·max T_i}
     */
    public record Split(boolean feasible, String reason, int[] firstLayer, double[] stageSeconds, double cost) {

        static Split infeasible(String reason) {
            return new Split(false, reason, new int[0], new double[0], Double.POSITIVE_INFINITY);
        }

        public int stages() {
            return firstLayer.length;
        }

        /** Last block of stage {@code i}. */
        public int lastLayer(int i, int layers) {
            return i + 1 < firstLayer.length ? firstLayer[i + 1] - 1 : layers - 1;
        }

        public double bottleneck() {
            return Arrays.stream(stageSeconds).max().orElse(0);
        }

        public int[] layerCounts(int layers) {
            int[] n = new int[firstLayer.length];
            for (int i = 0; i < n.length; i++) {
                n[i] = lastLayer(i, layers) - firstLayer[i] + 1;
            }
            return n;
        }

        @Override
        public String toString() {
            return feasible ? "Split" + Arrays.toString(firstLayer) + " T=" + Arrays.toString(stageSeconds)
                    + " cost=" + cost : "Split[infeasible: " + reason + "]";
        }
    }

    /** Seconds of stage {@code stage} running {@code count} blocks; +∞ when they do not fit its device. */
    @FunctionalInterface
    public interface CountCost {
        double seconds(int stage, int count);
    }

    private LayerPartition() {
    }

    /**
     * The same optimum when the blocks are alike, so a stage's time depends only on how many blocks it runs (and
     * whether it is the first or last stage, which {@code cost} knows): for a bound {@code B} each stage may take
     * up to {@code N_i(B)} blocks, and the least {@code Σ_i T_i(n_i)} with {@code Σ n_i = L} is found greedily, one
     * block at a time to the stage whose time grows least. That is exact when every {@code T_i} is convex in
     * {@code n} (separable convex allocation): a roofline {@code max} of affine terms is. {@code O(P·L)} candidates,
     * {@code O(L·log P)} per bound instead of {@code O(P·L²)}.
     */
    public static Split optimalUniform(int layers, int stages, int microBatches, CountCost cost) {
        Objects.requireNonNull(cost, "cost");
        if (stages < 1 || stages > layers) {
            throw new IllegalArgumentException("need 1 ≤ stages ≤ layers, got " + stages + " stages for " + layers
                    + " layers");
        }
        if (microBatches < 1) {
            throw new IllegalArgumentException("microBatches must be at least 1, got " + microBatches);
        }
        int p = stages;
        int most = layers - stages + 1;
        // t[i][n-1]: stage i with n blocks; stops at the first count that does not fit (memory grows with n)
        double[][] t = new double[p][];
        double[] candidates = new double[p * most];
        int nc = 0;
        for (int i = 0; i < p; i++) {
            double[] row = new double[most];
            int fit = 0;
            for (int n = 1; n <= most; n++) {
                double v = cost.seconds(i, n);
                if (Double.isNaN(v) || v < 0) {
                    throw new IllegalArgumentException("stage time must be non-negative, got " + v);
                }
                if (v == Double.POSITIVE_INFINITY) {
                    break;
                }
                row[fit++] = v;
                candidates[nc++] = v;
            }
            t[i] = Arrays.copyOf(row, fit);
        }
        double[] sorted = Arrays.stream(candidates, 0, nc).sorted().distinct().toArray();
        Dp unbounded = greedy(t, layers, Double.POSITIVE_INFINITY);
        if (unbounded == null) {
            return Split.infeasible("no split of " + layers + " blocks into " + p
                    + " stages fits every device's memory");
        }
        if (microBatches == 1) {
            return new Split(true, null, unbounded.first, unbounded.seconds, unbounded.total);
        }
        int lo = 0;
        int hi = sorted.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (greedy(t, layers, sorted[mid]) != null) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Dp best = null;
        double bestCost = Double.POSITIVE_INFINITY;
        for (int c = lo; c < sorted.length; c++) {
            double bound = sorted[c];
            if ((microBatches - 1) * bound + unbounded.total >= bestCost) {
                break;
            }
            Dp dp = greedy(t, layers, bound);
            if (dp == null) {
                continue;
            }
            double f = dp.total + (microBatches - 1) * dp.max;
            if (f < bestCost) {
                bestCost = f;
                best = dp;
            }
        }
        return new Split(true, null, best.first, best.seconds, bestCost);
    }

    /** Least Σ T_i(n_i) with Σ n_i = layers, 1 ≤ n_i, T_i(n_i) ≤ bound; null when infeasible. */
    private static Dp greedy(double[][] t, int layers, double bound) {
        int p = t.length;
        int[] cap = new int[p];
        long room = 0;
        for (int i = 0; i < p; i++) {
            int c = 0;
            while (c < t[i].length && t[i][c] <= bound) {
                c++;
            }
            if (c == 0) {
                return null;
            }
            cap[i] = c;
            room += c;
        }
        if (room < layers) {
            return null;
        }
        int[] n = new int[p];
        java.util.PriorityQueue<int[]> next = new java.util.PriorityQueue<>((x, y) -> {
            int c = Double.compare(t[x[0]][n[x[0]]] - t[x[0]][n[x[0]] - 1], t[y[0]][n[y[0]]] - t[y[0]][n[y[0]] - 1]);
            return c != 0 ? c : Integer.compare(x[0], y[0]);
        });
        for (int i = 0; i < p; i++) {
            n[i] = 1;
            if (cap[i] > 1) {
                next.add(new int[] {i});
            }
        }
        for (int left = layers - p; left > 0; left--) {
            int[] top = next.poll();
            int i = top[0];
            n[i]++;
            if (n[i] < cap[i]) {
                next.add(top);
            }
        }
        int[] first = new int[p];
        double[] seconds = new double[p];
        double total = 0;
        double max = 0;
        int at = 0;
        for (int i = 0; i < p; i++) {
            first[i] = at;
            at += n[i];
            seconds[i] = t[i][n[i] - 1];
            total += seconds[i];
            max = Math.max(max, seconds[i]);
        }
        return new Dp(total, max, first, seconds);
    }

    /**
     * @param layers       blocks {@code L}
     * @param stages       stages {@code P}, {@code 1 ≤ P ≤ L}
     * @param microBatches {@code M ≥ 1}
     * @param cost         stage times, +∞ where a range does not fit
     */
    public static Split optimal(int layers, int stages, int microBatches, StageCost cost) {
        Objects.requireNonNull(cost, "cost");
        if (stages < 1 || stages > layers) {
            throw new IllegalArgumentException("need 1 ≤ stages ≤ layers, got " + stages + " stages for " + layers
                    + " layers");
        }
        if (microBatches < 1) {
            throw new IllegalArgumentException("microBatches must be at least 1, got " + microBatches);
        }
        int p = stages;
        int l = layers;
        // t[i][a][b-a]: stage i on blocks a..b, only where a stage i can start at a and leave room for the rest
        double[][][] t = new double[p][l][];
        double[] candidates = new double[p * l * l];
        int nc = 0;
        for (int i = 0; i < p; i++) {
            for (int a = i; a <= l - (p - i); a++) {
                int maxLast = l - (p - i);
                if (i == p - 1) {
                    maxLast = l - 1;
                }
                if (i == 0 && a != 0) {
                    continue;
                }
                int minLast = i == p - 1 ? l - 1 : a;
                t[i][a] = new double[maxLast - a + 1];
                Arrays.fill(t[i][a], Double.POSITIVE_INFINITY);
                for (int b = minLast; b <= maxLast; b++) {
                    double s = cost.seconds(i, a, b);
                    if (Double.isNaN(s) || s < 0) {
                        throw new IllegalArgumentException("stage time must be non-negative, got " + s);
                    }
                    t[i][a][b - a] = s;
                    if (s < Double.POSITIVE_INFINITY) {
                        candidates[nc++] = s;
                    }
                }
            }
        }
        double[] sorted = Arrays.stream(candidates, 0, nc).sorted().distinct().toArray();
        Dp unbounded = sum(t, p, l, Double.POSITIVE_INFINITY);
        if (unbounded == null) {
            return Split.infeasible("no split of " + l + " blocks into " + p + " stages fits every device's memory");
        }
        // smallest feasible bound: feasibility only grows with the bound
        int lo = 0;
        int hi = sorted.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sum(t, p, l, sorted[mid]) != null) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        double sMin = unbounded.total;
        Dp best = null;
        double bestCost = Double.POSITIVE_INFINITY;
        for (int c = lo; c < sorted.length; c++) {
            double bound = sorted[c];
            if ((microBatches - 1) * bound + sMin >= bestCost) {
                break;
            }
            Dp dp = sum(t, p, l, bound);
            if (dp == null) {
                continue;
            }
            double f = dp.total + (microBatches - 1) * dp.max;
            if (f < bestCost) {
                bestCost = f;
                best = dp;
            }
        }
        return new Split(true, null, best.first, best.seconds, bestCost);
    }

    /** The least-sum split whose stages each take at most {@code bound}, or null when there is none. */
    private static Dp sum(double[][][] t, int p, int l, double bound) {
        double[][] dp = new double[p + 1][l + 1];
        int[][] from = new int[p + 1][l + 1];
        for (double[] row : dp) {
            Arrays.fill(row, Double.POSITIVE_INFINITY);
        }
        dp[0][0] = 0;
        for (int i = 0; i < p; i++) {
            for (int a = 0; a < l; a++) {
                if (dp[i][a] == Double.POSITIVE_INFINITY || t[i][a] == null) {
                    continue;
                }
                double[] row = t[i][a];
                for (int k = 0; k < row.length; k++) {
                    double s = row[k];
                    if (s > bound) {
                        continue;
                    }
                    int end = a + k + 1;
                    double v = dp[i][a] + s;
                    if (v < dp[i + 1][end]) {
                        dp[i + 1][end] = v;
                        from[i + 1][end] = a;
                    }
                }
            }
        }
        if (dp[p][l] == Double.POSITIVE_INFINITY) {
            return null;
        }
        int[] first = new int[p];
        double[] seconds = new double[p];
        int end = l;
        double max = 0;
        for (int i = p; i > 0; i--) {
            int a = from[i][end];
            first[i - 1] = a;
            seconds[i - 1] = t[i - 1][a][end - 1 - a];
            max = Math.max(max, seconds[i - 1]);
            end = a;
        }
        return new Dp(dp[p][l], max, first, seconds);
    }

    private record Dp(double total, double max, int[] first, double[] seconds) {
    }
}
