package io.crosstrain.checkpoint;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.crosstrain.contracts.ModelSpec;

/**
 * The last object of a checkpoint: which shards hold which parameter range. Written only after every shard it names,
 * so a checkpoint whose manifest exists is complete; shards without a manifest are never read.
 *
 * @param format      {@link #FORMAT}
 * @param step        the last step the checkpoint holds
 * @param vocabSize   the corpus vocabulary the model was built for
 * @param parameters  elements of the whole flat parameter vector
 * @param updates     AdamW updates applied so far (its bias correction and schedule)
 * @param outer       whether the shards carry DiLoCo's outer state (global weights and outer momentum)
 * @param outerSteps  outer steps taken (0 without outer state)
 * @param shards      ranges that together cover {@code [0, parameters)}, in offset order (they may overlap)
 */
public record CheckpointManifest(int format, UUID jobId, long step, int planVersion, String strategy, ModelSpec model,
                                 int vocabSize, long parameters, int updates, boolean outer, int outerSteps,
                                 List<Shard> shards, Instant createdAt) {

    public static final int FORMAT = 1;

    /** One shard object: the state of elements {@code [offset, offset + count)}. */
    public record Shard(String key, long offset, long count, long bytes, String sha256) {
    }
}
