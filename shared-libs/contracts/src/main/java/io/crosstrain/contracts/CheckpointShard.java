package io.crosstrain.contracts;

import java.util.UUID;

/**
 * Published on {@link Topics#CHECKPOINT_SHARDS} (key = jobId) by the worker that wrote one shard of a checkpoint: the
 * state of one parameter range after {@code step}. job-api writes the checkpoint's manifest once the shards of a step
 * cover the whole parameter vector; until then the checkpoint does not exist.
 *
 * @param offset       first element of the range in the flat parameter vector
 * @param count        elements in the range
 * @param total        elements in the whole vector
 * @param key          the shard's key in the checkpoint store
 * @param bytes        the shard's size
 * @param sha256       hex SHA-256 of the shard's bytes
 * @param pauseMillis  how long training stood still for it (copying the state out); the upload runs in the background
 * @param uploadMillis how long the upload took
 */
public record CheckpointShard(UUID jobId, int planVersion, long step, String deviceId, long offset, long count,
                              long total, String key, long bytes, String sha256, double pauseMillis,
                              double uploadMillis) {
}
