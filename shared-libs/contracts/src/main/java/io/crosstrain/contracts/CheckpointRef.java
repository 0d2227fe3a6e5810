package io.crosstrain.contracts;

/**
 * A complete checkpoint: its manifest was written after every shard (docs/architecture.md §13).
 *
 * @param step        the last step it holds
 * @param planVersion the plan version that took it
 * @param manifest    the manifest's key in the checkpoint store
 * @param bytes       all its shards together
 */
public record CheckpointRef(long step, int planVersion, String manifest, long bytes) {
}
