package io.crosstrain.worker.domain;

import io.crosstrain.contracts.OptimizerSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.training.DeviceTrainer;
import io.crosstrain.training.OuterOptimizer;

/**
 * The per-step work of one device, without any waiting: sample its shard, forward + backward (the gradient comes
 * out weighted by the device's batch, ready for the node's {@link NodeReducer}), apply the averaged update. The service and the worker benchmark both run exactly this.
 */
public final class DeviceStepPath implements AutoCloseable {

    /** Loss of a step and the CPU (or GPU) time its forward + backward took. */
    public record Computed(double loss, long computeNanos) {
    }

    private Plan plan;
    private PlanDevice device;
    private final int[] corpusTokens;
    private final DeviceTrainer trainer;
    private final float[] gradient;
    /** DiLoCo only: the global weights and outer momentum, created at the first inner step of the job. */
    private OuterOptimizer outer;
    /** DiLoCo only: samples this replica processed since the last outer round (the weight of its Δ). */
    private long samplesSinceOuter;

    public DeviceStepPath(Plan plan, PlanDevice device, int[] corpusTokens, int vocab) {
        this.plan = plan;
        this.device = device;
        this.corpusTokens = corpusTokens;
        OptimizerSpec optimizer = plan.optimizerOrDefaults();
        this.trainer = new DeviceTrainer(plan.model(), vocab, plan.seed(), plan.learningRate(),
                optimizer.weightDecay(), optimizer.warmupSteps());
        this.gradient = new float[trainer.parameterCount()];
    }

    /**
     * Carries this replica over to a new plan version: same weights and optimizer state, new rank and batch. Only
     * between rounds, from the thread that owns the path.
     */
    public void rebind(Plan next, PlanDevice nextDevice) {
        if (!next.jobId().equals(plan.jobId()) || !nextDevice.deviceId().equals(device.deviceId())) {
            throw new IllegalArgumentException("a path stays with its job and device");
        }
        this.plan = next;
        this.device = nextDevice;
    }

    public PlanDevice device() {
        return device;
    }

    public Computed compute(long step) {
        long t0 = System.nanoTime();
        DeviceTrainer.Batch batch = DeviceTrainer.sample(corpusTokens, plan.seed(), step, device.rank(),
                device.batch(), plan.model().seqLen());
        double loss = trainer.forwardBackwardInto(batch, gradient);
        return new Computed(loss, System.nanoTime() - t0);
    }

    /** The gradient of the last {@link #compute}, already weighted by this device's batch (read-only). */
    public float[] gradient() {
        return gradient;
    }

    public void apply(float[] averaged) {
        trainer.applyUpdate(averaged);
        if (plan.diloco()) {
            samplesSinceOuter += device.batch();
        }
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

    /** Takes back the inner step applied since {@code before} was exported (its round is redone). */
    public void undoInnerStep(DeviceTrainer.State before) {
        trainer.importState(before);
        samplesSinceOuter = Math.max(0, samplesSinceOuter - device.batch());
    }

    public int samplesSinceOuter() {
        return (int) Math.min(Integer.MAX_VALUE, samplesSinceOuter);
    }

    /** DiLoCo: applies the outer step with the sample-weighted average Δ; the replica continues from the new globals. */
    public void applyOuter(float[] averagedDelta) {
        trainer.loadWeights(outer().step(averagedDelta));
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

    /** A joiner takes the outer state of a replica that trained so far. */
    public void copyOuterFrom(DeviceStepPath other) {
        if (other.outer != null) {
            restoreOuter(other.outerState());
            samplesSinceOuter = other.samplesSinceOuter;
        }
    }

    public String weightsHash() {
        return trainer.weightsHash();
    }

    public int parameterCount() {
        return trainer.parameterCount();
    }

    public DeviceTrainer trainer() {
        return trainer;
    }

    @Override
    public void close() {
        trainer.close();
    }
}
