package io.crosstrain.codec;

import java.util.Arrays;
import java.util.Objects;

/**
 * Error feedback for one sender's stream of one tensor: what quantization drops in one round is added to the next
 * round's values, so over time the receiver sees the full sum (Seide et al., "1-Bit Stochastic Gradient Descent and
 * its Application to Data-Parallel Distributed Training of Speech DNNs", Interspeech 2014; Karimireddy et al.,
 * "Error Feedback Fixes SignSGD and other Gradient Compression Schemes", ICML 2019).
 *
 * <p>Invariant: after any number of rounds, sum of the values given = sum of what the receiver saw + residual (up
 * to float rounding), and every residual element is at most half a quantization step of its last round. The codec
 * may change between rounds; with FP32 the residual is sent along and becomes zero.
 *
 * <p>Not thread-safe. Values that are not finite after adding the residual are refused with an
 * {@link IllegalArgumentException} (no residual can be carried for them), leaving the state as it was.
 */
public final class ErrorFeedback {

    private final float[] residual;

    public ErrorFeedback(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: " + size);
        }
        residual = new float[size];
    }

    /**
     * Quantizes {@code values} plus the carried residual with {@code c} and keeps what was lost as the new residual.
     *
     * @return what the receiver decodes (as {@link Quantization#roundTrip} would); {@code values} is not changed
     */
    public float[] compress(Codec c, float[] values) {
        Objects.requireNonNull(c, "codec");
        Objects.requireNonNull(values, "values");
        if (values.length != residual.length) {
            throw new IllegalArgumentException("expected " + residual.length + " values, got " + values.length);
        }
        float[] corrected = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            // skipping a zero residual keeps FP32 bit-exact (x + 0 would turn -0 into +0)
            float x = residual[i] == 0f ? values[i] : values[i] + residual[i];
            if (!Float.isFinite(x)) {
                throw new IllegalArgumentException("element " + i + " is " + values[i] + " (plus residual "
                        + residual[i] + "): error feedback needs finite values");
            }
            corrected[i] = x;
        }
        float[] seen = Quantization.roundTrip(c, corrected);
        for (int i = 0; i < seen.length; i++) {
            residual[i] = corrected[i] - seen[i];
        }
        return seen;
    }

    /** A copy of the residual carried into the next round. */
    public float[] residual() {
        return residual.clone();
    }

    /** Forgets the residual, e.g. when the stream restarts from fresh weights. */
    public void reset() {
        Arrays.fill(residual, 0f);
    }

    public int size() {
        return residual.length;
    }
}
