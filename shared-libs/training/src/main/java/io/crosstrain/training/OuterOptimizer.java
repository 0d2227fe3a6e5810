package io.crosstrain.training;

import java.util.Objects;

/**
 * DiLoCo's outer step (Douillard et al., 2023, arXiv:2311.08105, Algorithm 1): SGD with Nesterov momentum applied to
 * the averaged pseudo-gradient {@code Δ = θ_global − θ_local}. With {@code v ← μ·v + Δ} the update is
 * {@code θ_global ← θ_global − lr·(Δ + μ·v)} (Nesterov's look-ahead form, as PyTorch's {@code SGD(nesterov=True)}).
 * lr 1 and μ 0 is plain averaging of the replicas. Everything is accumulated in float32 in index order, so every
 * holder of the same global weights, momentum and Δ computes the same bits.
 */
public final class OuterOptimizer {

    /** DiLoCo's published outer settings. */
    public static final double DEFAULT_LR = 0.7;
    public static final double DEFAULT_MOMENTUM = 0.9;

    private final float lr;
    private final float momentum;
    private final float[] global;
    private final float[] velocity;
    private int steps;

    /** @param initialGlobal the global weights every replica starts from; copied */
    public OuterOptimizer(float[] initialGlobal, double lr, double momentum) {
        Objects.requireNonNull(initialGlobal, "initialGlobal");
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("outer lr must be positive and finite: " + lr);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("outer momentum must be in [0, 1): " + momentum);
        }
        this.lr = (float) lr;
        this.momentum = (float) momentum;
        this.global = initialGlobal.clone();
        this.velocity = new float[initialGlobal.length];
    }

    /** {@code Δ = θ_global − θ_local}, the pseudo-gradient one replica contributes. */
    public float[] pseudoGradient(float[] local) {
        requireLength(local, "local");
        float[] delta = new float[global.length];
        for (int i = 0; i < delta.length; i++) {
            delta[i] = global[i] - local[i];
        }
        return delta;
    }

    /** Applies one outer step with the (sample-weighted) average of the replicas' Δ and returns the new globals. */
    public float[] step(float[] averagedDelta) {
        requireLength(averagedDelta, "averagedDelta");
        for (int i = 0; i < global.length; i++) {
            float d = averagedDelta[i];
            float v = momentum * velocity[i] + d;
            velocity[i] = v;
            global[i] -= lr * (d + momentum * v);
        }
        steps++;
        return global.clone();
    }

    /** A copy of the current global weights. */
    public float[] global() {
        return global.clone();
    }

    /** A copy of the outer momentum buffer. */
    public float[] velocity() {
        return velocity.clone();
    }

    public int steps() {
        return steps;
    }

    /** Restores global weights, momentum and step count (a joiner or a restart resuming from model-state). */
    public void restore(float[] globalWeights, float[] momentumBuffer, int outerSteps) {
        requireLength(globalWeights, "globalWeights");
        requireLength(momentumBuffer, "momentumBuffer");
        if (outerSteps < 0) {
            throw new IllegalArgumentException("outerSteps must not be negative");
        }
        System.arraycopy(globalWeights, 0, global, 0, global.length);
        System.arraycopy(momentumBuffer, 0, velocity, 0, velocity.length);
        steps = outerSteps;
    }

    public int size() {
        return global.length;
    }

    private void requireLength(float[] a, String name) {
        Objects.requireNonNull(a, name);
        if (a.length != global.length) {
            throw new IllegalArgumentException(name + " has " + a.length + " elements, the model " + global.length);
        }
    }

    @Override
    public String toString() {
        return "OuterOptimizer[lr=" + lr + ", momentum=" + momentum + ", size=" + global.length + ", steps=" + steps
                + "]";
    }
}
