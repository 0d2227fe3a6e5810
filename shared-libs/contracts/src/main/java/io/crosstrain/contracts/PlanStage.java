package io.crosstrain.contracts;

/**
 * A device's pipeline stage in a plan (docs/architecture.md §11): a contiguous block range of the model, and so one
 * contiguous range of the flat parameter vector (embeddings, block 0 … block L−1, final norm, head).
 *
 * @param index           stage index, 0 = the first (it holds the embeddings)
 * @param stages          stages of the replica; the last one holds the final norm, the head and the loss
 * @param firstLayer      first block of the stage
 * @param lastLayer       last block of the stage
 * @param parameterOffset first parameter of the stage in the flat vector; null when the plan was made without the
 *                        model's vocabulary (a spec with {@code vocabSize} 0 on a corpus the scheduler cannot read):
 *                        the workers then derive it from the blocks
 * @param parameterCount  parameters of the stage; null with {@code parameterOffset}
 * @param previousDevice  device of the stage before, null for the first
 * @param nextDevice      device of the stage after, null for the last
 * @param microBatchSize  largest micro-batch of the replica's step
 * @param computeSecondsPerSample chip seconds of tensor work per sample, forward and backward
 * @param trafficSecondsPerSample chip seconds of activation traffic per sample
 * @param weightSeconds   chip seconds of weight and gradient traffic per micro-batch; the stage's chip takes
 *                        {@code max(m·compute, m·traffic + weight)} for a micro-batch of {@code m}
 * @param memoryBytes     what the stage needs on its device: state plus in-flight activations
 * @param capacityBytes   what the device holds for it (at the plan's memory scale, usable share)
 */
public record PlanStage(
        int index,
        int stages,
        int firstLayer,
        int lastLayer,
        Long parameterOffset,
        Long parameterCount,
        String previousDevice,
        String nextDevice,
        int microBatchSize,
        double computeSecondsPerSample,
        double trafficSecondsPerSample,
        double weightSeconds,
        double memoryBytes,
        double capacityBytes) {

    /** Share of a micro-batch's time spent in its forward pass: a backward costs about twice a forward. */
    public static final double FORWARD_SHARE = 1.0 / 3.0;

    public boolean first() {
        return index == 0;
    }

    public boolean last() {
        return index == stages - 1;
    }

    /** Chip seconds of forward and backward of a micro-batch of {@code samples}. */
    public double chipSeconds(int samples) {
        return Math.max(samples * computeSecondsPerSample, samples * trafficSecondsPerSample + weightSeconds);
    }
}
