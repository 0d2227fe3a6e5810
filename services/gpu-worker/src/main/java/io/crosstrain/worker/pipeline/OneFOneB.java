package io.crosstrain.worker.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * The order in which one pipeline stage runs its micro-batches in one step under 1F1B (PipeDream-Flush, Narayanan et
 * al. 2021): stage {@code i} of {@code P} first runs {@code min(P − i − 1, M)} forwards, then alternates one forward
 * and one backward, then runs the backwards left. So stage {@code i} never holds more than {@code P − i}
 * micro-batches' activations, the figure the planner's memory model uses (docs/architecture.md §11).
 */
public final class OneFOneB {

    /** One forward or backward of one micro-batch. */
    public record Op(boolean forward, int microBatch) {
        @Override
        public String toString() {
            return (forward ? "F" : "B") + microBatch;
        }
    }

    private OneFOneB() {
    }

    public static List<Op> schedule(int stage, int stages, int microBatches) {
        if (stages < 1 || stage < 0 || stage >= stages || microBatches < 1) {
            throw new IllegalArgumentException("need 0 ≤ stage < stages and microBatches ≥ 1, got stage " + stage
                    + " of " + stages + " with " + microBatches + " micro-batches");
        }
        int warmup = Math.min(stages - stage - 1, microBatches);
        List<Op> ops = new ArrayList<>(2 * microBatches);
        int forward = 0;
        int backward = 0;
        for (; forward < warmup; forward++) {
            ops.add(new Op(true, forward));
        }
        while (forward < microBatches) {
            ops.add(new Op(true, forward++));
            ops.add(new Op(false, backward++));
        }
        while (backward < microBatches) {
            ops.add(new Op(false, backward++));
        }
        return List.copyOf(ops);
    }
}
