package io.crosstrain.worker.domain;

import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.training.DeviceTrainer;

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

    public DeviceStepPath(Plan plan, PlanDevice device, int[] corpusTokens, int vocab) {
        this.plan = plan;
        this.device = device;
        this.corpusTokens = corpusTokens;
        this.trainer = new DeviceTrainer(plan.model(), vocab, plan.seed(), plan.learningRate());
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
