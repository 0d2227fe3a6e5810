package io.crosstrain.planner;

import java.util.Objects;

/**
 * Splits a global batch {@code G} over devices of speeds {@code s_i} (samples/s) and memory caps {@code cap_i}
 * (largest micro-batch that fits), ARCHITECTURE.md §5.
 *
 * <p>Malformed arguments (null arrays, arrays of different lengths) throw {@link IllegalArgumentException} /
 * {@link NullPointerException}; a request that simply cannot be met (no devices, {@code G ≤ 0}, a speed that is not
 * positive and finite, a negative cap, not enough memory) gives {@code feasible=false} with a reason naming the
 * numbers.
 */
public final class BatchAllocator {

    private BatchAllocator() {
    }

    /**
     * The exact integer optimum of {@code min max_i b_i/s_i  s.t. Σ b_i = G, 0 ≤ b_i ≤ limit_i} where
     * {@code limit_i = cap_i} without accumulation; with accumulation a device with {@code cap_i > 0} is unbounded
     * (it runs {@code ceil(b_i/cap_i)} micro-batches) and one with {@code cap_i = 0} cannot take any sample.
     *
     * <p>How: let {@code n_i(T)} be the most samples device i can take without exceeding time T. The optimum
     * {@code T*} is the smallest T with {@code Σ n_i(T) ≥ G}; it is a breakpoint {@code k/s_i}. Step times are
     * compared exactly as the doubles {@code fl(k/s_i)} (the same values {@code stepTime} reports), which are
     * monotone in k, and {@code T*} is found by a binary search over the ordered bit patterns of non-negative doubles
     * (at most 64 rounds of O(n)) — no epsilon, no missed breakpoint. Then every device gets {@code n_i} of the
     * largest double below {@code T*} (all strictly faster than {@code T*}) and the few samples still missing go to
     * the devices whose breakpoint is {@code T*}, lowest index first.
     */
    public static Allocation balanced(double[] speeds, int[] caps, int globalBatch, boolean allowAccumulation) {
        String invalid = validate(speeds, caps, globalBatch);
        if (invalid != null) {
            return Allocation.infeasible(invalid);
        }
        int n = speeds.length;
        long[] limit = new long[n];
        long capacity = 0;
        for (int i = 0; i < n; i++) {
            limit[i] = allowAccumulation ? (caps[i] > 0 ? globalBatch : 0) : caps[i];
            capacity += limit[i];
        }
        if (capacity < globalBatch) {
            return Allocation.infeasible(allowAccumulation
                    ? "no device can hold even one sample (all " + n + " memory caps are 0), so the global batch of "
                            + globalBatch + " cannot be placed"
                    : "the memory caps of the " + n + " devices sum to " + capacity
                            + " samples, less than the global batch of " + globalBatch
                            + "; allow gradient accumulation, lower the global batch or add devices");
        }

        double upper = 0;
        for (int i = 0; i < n; i++) {
            if (limit[i] > 0) {
                upper = Math.max(upper, limit[i] / speeds[i]);
            }
        }
        // Invariant: count(lo) < G ≤ count(hi). count(+0.0) = 0 since every k/s_i with k ≥ 1 is > 0.
        long lo = Double.doubleToRawLongBits(0.0);
        long hi = Double.doubleToRawLongBits(upper);
        while (hi - lo > 1) {
            long mid = lo + (hi - lo) / 2;
            if (count(Double.longBitsToDouble(mid), speeds, limit, globalBatch) >= globalBatch) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        double best = Double.longBitsToDouble(hi);
        double below = Double.longBitsToDouble(lo);

        int[] batch = new int[n];
        long missing = globalBatch;
        for (int i = 0; i < n; i++) {
            batch[i] = (int) fit(below, speeds[i], limit[i]);
            missing -= batch[i];
        }
        for (int i = 0; i < n && missing > 0; i++) {
            long extra = Math.min(fit(best, speeds[i], limit[i]) - batch[i], missing);
            batch[i] += (int) extra;
            missing -= extra;
        }
        if (missing != 0) {
            throw new IllegalStateException("allocation left " + missing + " samples unplaced; this is a bug");
        }
        return new Allocation(true, null, batch, microBatches(batch, caps, allowAccumulation),
                stepTime(batch, speeds));
    }

    /**
     * The naive baseline: {@code G/n} samples per device, the remainder one each to the lowest indices. Infeasible
     * when a device's share exceeds its cap (without accumulation) or a device with cap 0 gets a share (with it).
     */
    public static Allocation equalSplit(double[] speeds, int[] caps, int globalBatch, boolean allowAccumulation) {
        String invalid = validate(speeds, caps, globalBatch);
        if (invalid != null) {
            return Allocation.infeasible(invalid);
        }
        int n = speeds.length;
        int[] batch = new int[n];
        for (int i = 0; i < n; i++) {
            batch[i] = globalBatch / n + (i < globalBatch % n ? 1 : 0);
            if (batch[i] == 0) {
                continue;
            }
            if (caps[i] == 0) {
                return Allocation.infeasible("equal split gives device " + i + " " + batch[i]
                        + " samples but it cannot hold even one (memory cap 0)");
            }
            if (!allowAccumulation && batch[i] > caps[i]) {
                return Allocation.infeasible("equal split gives device " + i + " " + batch[i]
                        + " samples but its memory cap is " + caps[i] + "; allow gradient accumulation");
            }
        }
        return new Allocation(true, null, batch, microBatches(batch, caps, allowAccumulation),
                stepTime(batch, speeds));
    }

    /**
     * Efficiency {@code η = (Σ b_i / max_i b_i/s_i) / Σ_i s_i}: achieved samples/s over the sum of every device's
     * solo speed (idle devices still count). 0 when nothing is allocated.
     */
    public static double eta(int[] batch, double[] speeds) {
        Objects.requireNonNull(batch, "batch");
        Objects.requireNonNull(speeds, "speeds");
        if (batch.length != speeds.length) {
            throw new IllegalArgumentException("batch has " + batch.length + " entries but speeds has "
                    + speeds.length);
        }
        double total = 0;
        double speedSum = 0;
        for (int i = 0; i < batch.length; i++) {
            total += batch[i];
            speedSum += speeds[i];
        }
        double step = stepTime(batch, speeds);
        return step > 0 ? (total / step) / speedSum : 0.0;
    }

    /** {@code max_i b_i / s_i} (0 when every b_i is 0). */
    static double stepTime(int[] batch, double[] speeds) {
        double max = 0;
        for (int i = 0; i < batch.length; i++) {
            if (batch[i] > 0) {
                max = Math.max(max, batch[i] / speeds[i]);
            }
        }
        return max;
    }

    /** Σ_i n_i(t), stopping early once {@code enough} is reached. */
    private static long count(double t, double[] speeds, long[] limit, long enough) {
        long sum = 0;
        for (int i = 0; i < speeds.length && sum < enough; i++) {
            sum += fit(t, speeds[i], limit[i]);
        }
        return sum;
    }

    /**
     * {@code n(t) = max{ k ≤ limit : fl(k/s) ≤ t }}. {@code floor(t·s)} is right up to one unit of rounding; the two
     * loops correct it against the very comparison the objective uses (each runs at most a couple of times since
     * k &lt; 2^31 is far below 2^53).
     */
    private static long fit(double t, double s, long limit) {
        if (limit == 0) {
            return 0;
        }
        double guess = Math.floor(t * s);
        long k = guess >= limit ? limit : guess <= 0 ? 0 : (long) guess;
        while (k > 0 && k / s > t) {
            k--;
        }
        while (k < limit && (k + 1) / s <= t) {
            k++;
        }
        return k;
    }

    private static int[] microBatches(int[] batch, int[] caps, boolean allowAccumulation) {
        int[] micro = new int[batch.length];
        for (int i = 0; i < batch.length; i++) {
            if (batch[i] > 0) {
                micro[i] = allowAccumulation ? (int) ((batch[i] + (long) caps[i] - 1) / caps[i]) : 1;
            }
        }
        return micro;
    }

    /** Null when the request is well formed, else the reason it cannot be met. */
    private static String validate(double[] speeds, int[] caps, int globalBatch) {
        Objects.requireNonNull(speeds, "speeds");
        Objects.requireNonNull(caps, "caps");
        if (speeds.length != caps.length) {
            throw new IllegalArgumentException("speeds has " + speeds.length + " entries but caps has "
                    + caps.length);
        }
        if (speeds.length == 0) {
            return "no devices to place the global batch of " + globalBatch + " on";
        }
        if (globalBatch <= 0) {
            return "the global batch must be positive, got " + globalBatch;
        }
        for (int i = 0; i < speeds.length; i++) {
            if (!(speeds[i] > 0) || Double.isInfinite(speeds[i])) {
                return "device " + i + " has speed " + speeds[i]
                        + " samples/s; every speed must be positive and finite";
            }
            if (caps[i] < 0) {
                return "device " + i + " has memory cap " + caps[i] + "; caps must be ≥ 0";
            }
        }
        return null;
    }
}
