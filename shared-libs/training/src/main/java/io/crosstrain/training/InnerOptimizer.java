package io.crosstrain.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.optimizer.AdamW;
import ai.djl.training.tracker.Tracker;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * The inner optimizer of one trainer: DJL's AdamW applied standalone to each parameter of a {@link FlatParameters},
 * from a flat gradient vector (the relay's average) or from the parameters' own gradients, and the export and import
 * of its state (moment estimates in the flat order, update count).
 *
 * <p>AdamW is elementwise, so the update of a stage's parameters from the stage's range of the averaged gradient is
 * exactly the whole model's update restricted to that range.
 */
final class InnerOptimizer implements AutoCloseable {

    private final FlatParameters params;
    private final TrackedAdamW adamW;
    /** Our own gradient tensors for {@link #apply}, with live float views onto their memory. */
    private final NDArray[] importGradients;
    private final FloatBuffer[] importViews;

    /**
     * @param manager where the import buffers live (the trainer's)
     * @param learningRate peak learning rate, reached linearly over the first {@code warmupSteps} updates
     */
    InnerOptimizer(NDManager manager, FlatParameters params, double learningRate, double weightDecay,
            int warmupSteps) {
        this.params = params;
        float peak = (float) learningRate;
        float ramp = Math.max(1, warmupSteps);
        // DJL numbers updates from 1
        Tracker schedule = update -> peak * Math.min(1f, update / ramp);
        this.adamW = new TrackedAdamW(AdamW.builder()
                .optLearningRateTracker(schedule)
                .optBeta2(StageTrainer.BETA2)
                .optWeightDecays((float) weightDecay));
        int n = params.count();
        importGradients = new NDArray[n];
        importViews = new FloatBuffer[n];
        for (int i = 0; i < n; i++) {
            importGradients[i] = manager.zeros(params.array(i).getShape(), DataType.FLOAT32);
            importViews[i] = FlatParameters.view(importGradients[i]);
        }
    }

    /** One update of every parameter with its range of {@code gradient} (flat order). */
    void apply(float[] gradient) {
        params.requireLength(gradient, "gradient");
        for (int i = 0; i < params.count(); i++) {
            FloatBuffer view = importViews[i];
            view.clear();
            view.put(gradient, params.offset(i), params.size(i));
            adamW.update(params.name(i), params.array(i), importGradients[i]);
        }
    }

    /** One update of every parameter with the gradient its tensor holds (the plain DJL step). */
    void applyOwnGradients() {
        for (int i = 0; i < params.count(); i++) {
            try (NDArray gradient = params.array(i).getGradient()) {
                adamW.update(params.name(i), params.array(i), gradient);
            }
        }
    }

    /** Updates applied so far (imported ones included). */
    int updates() {
        return adamW.updates();
    }

    /** Copies the first and second moment estimates into flat vectors (zeros before the first update). */
    void momentsInto(float[] means, float[] variances) {
        params.requireLength(means, "means");
        params.requireLength(variances, "variances");
        for (int i = 0; i < params.count(); i++) {
            String name = params.name(i);
            int off = params.offset(i);
            int size = params.size(i);
            List<NDArray> moments = adamW.moments(name);
            float[][] preset = adamW.preset(name);
            if (moments.size() == 2) {
                FlatParameters.view(moments.get(0)).get(means, off, size);
                FlatParameters.view(moments.get(1)).get(variances, off, size);
            } else if (preset != null) {
                // imported but not yet used: the moments still wait for the first update
                System.arraycopy(preset[0], 0, means, off, size);
                System.arraycopy(preset[1], 0, variances, off, size);
            }
        }
    }

    /** Installs imported moments and update count; only before the first update. */
    void importMoments(float[] means, float[] variances, int updates) {
        if (adamW.updates() != 0) {
            throw new IllegalStateException("state can only be imported into a fresh replica");
        }
        params.requireLength(means, "means");
        params.requireLength(variances, "variances");
        for (int i = 0; i < params.count(); i++) {
            int from = params.offset(i);
            int to = from + params.size(i);
            adamW.preset(params.name(i), Arrays.copyOfRange(means, from, to), Arrays.copyOfRange(variances, from, to),
                    updates);
        }
    }

    /** Releases the moment estimates (the import buffers go with the trainer's manager). */
    @Override
    public void close() {
        adamW.closeState();
    }
}
