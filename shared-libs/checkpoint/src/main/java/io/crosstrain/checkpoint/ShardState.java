package io.crosstrain.checkpoint;

/**
 * The training state of one parameter range, as a shard holds it: weights and AdamW moments, and under DiLoCo the
 * outer global weights and momentum (null otherwise). Arrays are {@code count} long.
 */
public record ShardState(long offset, int updates, float[] weights, float[] means, float[] variances,
                         float[] outerGlobal, float[] outerVelocity, int outerSteps) {

    public int count() {
        return weights.length;
    }

    public boolean hasOuter() {
        return outerGlobal != null;
    }
}
