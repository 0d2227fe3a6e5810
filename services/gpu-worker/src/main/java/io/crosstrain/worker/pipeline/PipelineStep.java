package io.crosstrain.worker.pipeline;

import java.util.concurrent.TimeoutException;

import io.crosstrain.training.Pacer;

/**
 * One step of one pipeline stage: its micro-batches' forwards and backwards in 1F1B order ({@link OneFOneB}),
 * taking activations from the stage before and activation gradients from the stage after, handing its own on.
 *
 * <p>Under emulation each forward and backward is paced to the stage's chip (docs/architecture.md §6 per
 * micro-batch): an operation starts when the chip is free, its input is there (in real time) and the chip that sent
 * the input would have finished it (the stamp that travels with it); it ends a chip's duration later, or when the CPU
 * is done if the CPU was slower. Its output leaves stamped with that end. So bubbles and stragglers show as they would
 * on the chips, and a hand-over that takes longer in Kafka than the slack shows as lost time.
 */
public final class PipelineStep {

    /** The stage's math for one micro-batch. */
    public interface Work {
        /** Forward; {@code input} is null on the first stage. @return the output activations, null on the last stage */
        float[] forward(int microBatch, float[] input);

        /** Backward; {@code gradOutput} null on the last stage. @return the input's gradient, null on the first */
        float[] backward(int microBatch, float[] gradOutput);
    }

    /** The stage's neighbours. */
    public interface Link {
        /** Forward activations to the next stage, or (forward false) an activation gradient to the previous one. */
        void send(boolean forward, int microBatch, float[] values, long readyAtMs);

        ActivationHub.Arrival receive(boolean forward, int microBatch) throws TimeoutException, InterruptedException;
    }

    /** Chip seconds of one micro-batch's forward and backward on this stage, already divided by the time scale. */
    public interface Timing {
        double forwardSeconds(int microBatch);

        double backwardSeconds(int microBatch);
    }

    /**
     * @param busyNanos    Σ of the operations' durations (chip time, or CPU time where the CPU was slower)
     * @param computeNanos CPU time of the math alone
     * @param startNanos   the step's start ({@link System#nanoTime})
     * @param endNanos     the end of its last operation
     * @param readyAtMs    the same end, epoch ms: when the stage's gradient would be ready on its chip
     */
    public record Result(long busyNanos, long computeNanos, long startNanos, long endNanos, long readyAtMs) {
        public long idleNanos() {
            return Math.max(0, endNanos - startNanos - busyNanos);
        }
    }

    private PipelineStep() {
    }

    public static Result run(int stage, int stages, int microBatches, Work work, Link link, Timing timing,
                             Pacer pacer, boolean paced) throws TimeoutException, InterruptedException {
        long startNanos = pacer.now();
        long startMs = System.currentTimeMillis();
        long free = startNanos; // when the chip is free for its next operation
        long busy = 0;
        long compute = 0;
        boolean first = stage == 0;
        boolean last = stage == stages - 1;
        for (OneFOneB.Op op : OneFOneB.schedule(stage, stages, microBatches)) {
            float[] input = null;
            long opStart = free;
            boolean needsInput = op.forward() ? !first : !last;
            if (needsInput) {
                ActivationHub.Arrival a = link.receive(op.forward(), op.microBatch());
                input = a.values();
                opStart = Math.max(opStart, a.arrivedNanos());
                if (paced && a.readyAtMs() > 0) {
                    opStart = Math.max(opStart, startNanos + (a.readyAtMs() - startMs) * 1_000_000L);
                }
            }
            long cpu0 = pacer.now();
            float[] output = op.forward() ? work.forward(op.microBatch(), input)
                    : work.backward(op.microBatch(), input);
            long cpu1 = pacer.now();
            compute += cpu1 - cpu0;
            long end;
            if (paced) {
                double seconds = op.forward() ? timing.forwardSeconds(op.microBatch())
                        : timing.backwardSeconds(op.microBatch());
                // a chip's duration after it could start; never before the CPU is done (then the CPU was slower)
                end = Math.max(opStart + Math.round(seconds * 1e9), cpu1);
                pacer.paceUntil(end, 0);
            } else {
                opStart = Math.max(opStart, cpu0);
                end = cpu1;
            }
            busy += end - opStart;
            free = end;
            if (output != null) {
                long readyAtMs = paced ? startMs + (end - startNanos) / 1_000_000L : 0L;
                link.send(op.forward(), op.microBatch(), output, readyAtMs);
            }
        }
        long readyAtMs = paced ? startMs + (free - startNanos) / 1_000_000L : 0L;
        return new Result(busy, compute, startNanos, free, readyAtMs);
    }
}
