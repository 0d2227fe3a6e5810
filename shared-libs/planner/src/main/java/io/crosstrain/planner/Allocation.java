package io.crosstrain.planner;

import java.util.Arrays;
import java.util.Objects;

/**
 * A split of the global batch over devices (indices as given to {@link BatchAllocator}).
 *
 * @param feasible     false when the batch cannot be placed; then {@code reason} says why, the arrays are empty and
 *                     {@code stepTime} is NaN
 * @param reason       null when feasible
 * @param batch        samples per device per step ({@code b_i})
 * @param microBatches micro-batches device i runs per step: 0 when idle, 1 without accumulation,
 *                     {@code ceil(b_i / cap_i)} with it
 * @param stepTime     {@code max_i b_i / s_i}, in the units of 1/speed (seconds when speeds are samples/s)
 */
public record Allocation(boolean feasible, String reason, int[] batch, int[] microBatches, double stepTime) {

    public Allocation {
        batch = Objects.requireNonNull(batch, "batch").clone();
        microBatches = Objects.requireNonNull(microBatches, "microBatches").clone();
        if (batch.length != microBatches.length) {
            throw new IllegalArgumentException("batch and microBatches differ in length: " + batch.length + " vs "
                    + microBatches.length);
        }
        if (!feasible && reason == null) {
            throw new IllegalArgumentException("an infeasible allocation needs a reason");
        }
    }

    public static Allocation infeasible(String reason) {
        return new Allocation(false, Objects.requireNonNull(reason, "reason"), new int[0], new int[0], Double.NaN);
    }

    /** A copy; the record stays immutable. */
    @Override
    public int[] batch() {
        return batch.clone();
    }

    /** A copy; the record stays immutable. */
    @Override
    public int[] microBatches() {
        return microBatches.clone();
    }

    /** Σ b_i. */
    public long total() {
        long sum = 0;
        for (int b : batch) {
            sum += b;
        }
        return sum;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Allocation a && feasible == a.feasible && Objects.equals(reason, a.reason)
                && Arrays.equals(batch, a.batch) && Arrays.equals(microBatches, a.microBatches)
                && Double.compare(stepTime, a.stepTime) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(feasible, reason, Arrays.hashCode(batch), Arrays.hashCode(microBatches), stepTime);
    }

    @Override
    public String toString() {
        return feasible
                ? "Allocation[batch=" + Arrays.toString(batch) + ", microBatches=" + Arrays.toString(microBatches)
                        + ", stepTime=" + stepTime + "]"
                : "Allocation[infeasible: " + reason + "]";
    }
}
