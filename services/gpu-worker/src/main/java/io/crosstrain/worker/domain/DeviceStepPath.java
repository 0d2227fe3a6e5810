package io.crosstrain.worker.domain;

import java.util.List;
import java.util.concurrent.TimeoutException;

import io.crosstrain.contracts.OptimizerSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.training.DeviceTrainer;
import io.crosstrain.training.OuterOptimizer;
import io.crosstrain.training.Pacer;
import io.crosstrain.training.StageRange;
import io.crosstrain.training.StageTrainer;
import io.crosstrain.worker.pipeline.PipelineStep;

/**
 * The per-step work of one device, without any waiting: sample its share of the data, forward + backward (the
 * gradient comes out weighted by the samples behind it, ready for the node's {@link NodeReducer}), apply the
 * averaged update. A device holds a whole replica, or one pipeline stage of one (its plan entry has a stage): then it
 * holds, trains, hashes and exchanges only its stage's parameter range, and its forward and backward run as the
 * stage's part of its replica's 1F1B schedule ({@link PipelineStep}). The service and the worker benchmark both run
 * exactly this.
 */
public final class DeviceStepPath implements AutoCloseable {

    /** Loss of a step and the CPU (or GPU) time its forward + backward took. */
    public record Computed(double loss, long computeNanos) {
    }

    private Plan plan;
    private PlanDevice device;
    private final int[] corpusTokens;
    private final StageTrainer trainer;
    /** The same trainer when the device holds the whole model (it can also sample text); else null. */
    private final DeviceTrainer whole;
    private final float[] gradient;
    /** The stage's slice of an averaged update of the whole vector. */
    private final float[] slice;
    private final long offset;
    private final long total;
    private final int vocab;
    /** DiLoCo only: the global weights and outer momentum, created at the first inner step of the job. */
    private OuterOptimizer outer;
    /** DiLoCo only: samples this replica processed since the last outer round (the weight of its Δ). */
    private long samplesSinceOuter;

    public DeviceStepPath(Plan plan, PlanDevice device, int[] corpusTokens, int vocab) {
        this.plan = plan;
        this.device = device;
        this.corpusTokens = corpusTokens;
        OptimizerSpec optimizer = plan.optimizerOrDefaults();
        if (device.staged()) {
            StageRange range = StageRange.of(plan.model(), vocab, device.stage());
            this.trainer = new StageTrainer(plan.model(), vocab, plan.seed(), plan.learningRate(),
                    optimizer.weightDecay(), optimizer.warmupSteps(), range);
            this.whole = null;
        } else {
            this.whole = new DeviceTrainer(plan.model(), vocab, plan.seed(), plan.learningRate(),
                    optimizer.weightDecay(), optimizer.warmupSteps());
            this.trainer = whole;
        }
        this.gradient = new float[trainer.parameterCount()];
        this.slice = device.staged() ? new float[trainer.parameterCount()] : null;
        this.offset = trainer.parameterOffset();
        this.total = plan.model().parameters(vocab);
        this.vocab = vocab;
    }

    /**
     * Carries this replica over to a new plan version: same weights and optimizer state, new rank and batch. Only
     * between rounds, from the thread that owns the path, and only when the device keeps its part of the model
     * ({@link #keepsPartIn}); a device whose range changes gets a fresh path with the state of its new range instead.
     */
    public void rebind(Plan next, PlanDevice nextDevice) {
        if (!next.jobId().equals(plan.jobId()) || !nextDevice.deviceId().equals(device.deviceId())) {
            throw new IllegalArgumentException("a path stays with its job and device");
        }
        if (!keepsPartIn(next, nextDevice)) {
            throw new IllegalArgumentException("device " + device.deviceId() + " moves from " + describe(device)
                    + " to " + describe(nextDevice) + ": that needs a fresh path, not a carried-over one");
        }
        this.plan = next;
        this.device = nextDevice;
    }

    /** Whether the device holds the same part of the model, in the same way (whole or stage), in {@code next}. */
    public boolean keepsPartIn(Plan next, PlanDevice nextDevice) {
        return nextDevice.staged() == device.staged() && partOf(next, nextDevice, vocab).equals(part());
    }

    /** A device's part of the flat parameter vector in a plan: its stage's range, or the whole vector. */
    public static NodeReducer.Part partOf(Plan plan, PlanDevice device, int vocab) {
        if (!device.staged()) {
            return new NodeReducer.Part(0, Math.toIntExact(plan.model().parameters(vocab)));
        }
        StageRange range = StageRange.of(plan.model(), vocab, device.stage());
        return new NodeReducer.Part(range.parameterOffset(plan.model(), vocab),
                Math.toIntExact(range.parameterCount(plan.model(), vocab)));
    }

    private static String describe(PlanDevice d) {
        return d.staged() ? "layers " + d.stage().firstLayer() + "-" + d.stage().lastLayer() : "the whole model";
    }

    public PlanDevice device() {
        return device;
    }

    /** Whole replica: its batch, sampled by its rank, in one forward and backward. */
    public Computed compute(long step) {
        long t0 = System.nanoTime();
        DeviceTrainer.Batch batch = DeviceTrainer.sample(corpusTokens, plan.seed(), step, device.rank(),
                device.batch(), plan.model().seqLen());
        double loss = whole.forwardBackwardInto(batch, gradient);
        return new Computed(loss, System.nanoTime() - t0);
    }

    /** A stage's step: what {@link #computeStage} measured. */
    public record StageStep(double loss, PipelineStep.Result timing) {
    }

    /**
     * Pipeline stage: its replica's batch (sampled by {@code dataRank}, the rank of the replica's first stage, so
     * the first stage's inputs and the last stage's targets are the same samples) in {@code device.microBatches()}
     * micro-batches, in 1F1B order with the neighbours {@code link} reaches.
     *
     * @return the replica's mean loss on the last stage, NaN on the others
     */
    public StageStep computeStage(long step, int dataRank, PipelineStep.Link link, PipelineStep.Timing timing,
                                  Pacer pacer, boolean paced) throws TimeoutException, InterruptedException {
        DeviceTrainer.Batch batch = DeviceTrainer.sample(corpusTokens, plan.seed(), step, dataRank, device.batch(),
                plan.model().seqLen());
        List<DeviceTrainer.Batch> micro = batch.split(microBatches());
        double[] losses = new double[micro.size()];
        trainer.beginStep();
        PipelineStep.Work work = new PipelineStep.Work() {
            @Override
            public float[] forward(int mb, float[] input) {
                StageTrainer.Output out = input == null ? trainer.forward(micro.get(mb))
                        : trainer.forward(micro.get(mb), input);
                losses[mb] = out.loss();
                return out.activations();
            }

            @Override
            public float[] backward(int mb, float[] gradOutput) {
                return gradOutput == null ? trainer.backward() : trainer.backward(gradOutput);
            }
        };
        PipelineStep.Result result;
        try {
            result = PipelineStep.run(device.stage().index(), device.stage().stages(), micro.size(), work, link,
                    timing, pacer, paced);
        } catch (TimeoutException | InterruptedException | RuntimeException e) {
            trainer.abortStep();
            throw e;
        }
        trainer.exportGradient(gradient);
        double loss = Double.NaN;
        if (device.stage().last()) {
            double sum = 0;
            for (int i = 0; i < micro.size(); i++) {
                sum += losses[i] * micro.get(i).batchSize();
            }
            loss = sum / device.batch();
        }
        return new StageStep(loss, result);
    }

    /** Micro-batches of the replica's step: the plan's, never more than its samples. */
    public int microBatches() {
        return Math.max(1, Math.min(device.microBatches(), device.batch()));
    }

    /** Sizes of the step's micro-batches: as even as possible, the larger first (as {@code Batch.split}). */
    public int microBatchSize(int microBatch) {
        int m = microBatches();
        int b = device.batch();
        return b / m + (microBatch < b % m ? 1 : 0);
    }

    /** The gradient of the last step, weighted by the samples behind it, of this device's part (read-only). */
    public float[] gradient() {
        return gradient;
    }

    /** This device's part of the flat parameter vector. */
    public NodeReducer.Part part() {
        return new NodeReducer.Part(offset, gradient.length);
    }

    /** Parameters of the whole model. */
    public long totalParameters() {
        return total;
    }

    public void apply(float[] averaged) {
        trainer.applyUpdate(range(averaged));
        if (plan.diloco()) {
            samplesSinceOuter += device.batch();
        }
    }

    /** This device's range of a whole vector (the vector itself for a whole replica). */
    private float[] range(float[] wholeVector) {
        if (slice == null) {
            return wholeVector;
        }
        System.arraycopy(wholeVector, (int) offset, slice, 0, slice.length);
        return slice;
    }

    /**
     * DiLoCo: this replica's pseudo-gradient {@code Δ = θ_global − θ_local} multiplied by the samples behind it, for
     * the node reducer to add up like a batch-weighted gradient. The outer optimizer starts from the weights the
     * replica had before its first inner step (every replica starts from the same seed).
     */
    public float[] weightedPseudoGradient() {
        float[] delta = outer().pseudoGradient(trainer.weights());
        float w = (float) samplesSinceOuter;
        for (int i = 0; i < delta.length; i++) {
            delta[i] *= w;
        }
        return delta;
    }

    /**
     * Takes back the inner step applied since {@code before} was exported (its round is redone): returns the path to
     * continue with, holding {@code before} and this path's outer state; this one is closed.
     */
    public DeviceStepPath withoutInnerStep(StageTrainer.State before) {
        // the optimizer cannot un-count an applied update: a fresh trainer takes the state from before it
        DeviceStepPath fresh = new DeviceStepPath(plan, device, corpusTokens, vocab);
        fresh.resume(new ModelStateCodec.Snapshot(before, outerState()),
                Math.max(0, samplesSinceOuter - device.batch()));
        close();
        return fresh;
    }

    public int samplesSinceOuter() {
        return (int) Math.min(Integer.MAX_VALUE, samplesSinceOuter);
    }

    /** DiLoCo: applies the outer step with the sample-weighted average Δ; the replica continues from the new globals. */
    public void applyOuter(float[] averagedDelta) {
        trainer.loadWeights(outer().step(range(averagedDelta)));
        samplesSinceOuter = 0;
    }

    /** Must run before the first inner step of a DiLoCo job, so θ_global is the common starting point. */
    public OuterOptimizer outer() {
        if (outer == null) {
            var sync = plan.syncOrDefaults();
            outer = new OuterOptimizer(trainer.weights(), sync.outerLr(), sync.outerMomentum());
        }
        return outer;
    }

    /** DiLoCo's outer state of this replica, or null when the job is not DiLoCo. */
    public ModelStateCodec.OuterState outerState() {
        return outer == null ? null : new ModelStateCodec.OuterState(outer.global(), outer.velocity(), outer.steps());
    }

    /** Resumes from a published outer state (a joiner, or a restarted worker). */
    public void restoreOuter(ModelStateCodec.OuterState state) {
        outer().restore(state.global(), state.velocity(), state.steps());
        samplesSinceOuter = 0;
    }

    /** The committed state of this device's part: its trainer's, plus the outer state under DiLoCo (else null). */
    public ModelStateCodec.Snapshot snapshot() {
        return new ModelStateCodec.Snapshot(trainer.exportState(), outerState());
    }

    /**
     * A fresh path starts from the state of its part that the replicas have (a joiner, or a device whose range
     * changed); {@code samplesSinceOuter} is the replica's DiLoCo progress since the last outer round.
     */
    public void resume(ModelStateCodec.Snapshot state, long samplesSinceOuter) {
        trainer.importState(state.trainer());
        if (state.outer() != null) {
            restoreOuter(state.outer());
            this.samplesSinceOuter = samplesSinceOuter;
        }
    }

    public String weightsHash() {
        return trainer.weightsHash();
    }

    /** Parameters this device holds (its stage's, or the whole model's). */
    public int parameterCount() {
        return trainer.parameterCount();
    }

    public StageTrainer trainer() {
        return trainer;
    }

    /** The whole-model trainer, or null for a pipeline stage (which cannot sample text on its own). */
    public DeviceTrainer wholeModel() {
        return whole;
    }

    @Override
    public void close() {
        trainer.close();
    }
}
