package io.crosstrain.worker.config;

import java.nio.file.Path;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import io.crosstrain.checkpoint.CheckpointStores;

/**
 * Where this worker writes checkpoint shards, reads the checkpoints it resumes from and puts hand-over states too
 * large for Kafka. job-api must see the same store: it completes checkpoints from the shards written here.
 *
 * @param store {@code local} (a directory; a mounted network one for several hosts) or {@code s3}
 * @param dir   the directory of a {@code local} store; blank = {@code checkpoints} next to the data directory
 * @param s3    the bucket and client of an {@code s3} store
 */
@ConfigurationProperties("crosstrain.checkpoints")
public record CheckpointProperties(
        @DefaultValue("local") String store,
        String dir,
        @DefaultValue S3 s3) {

    /**
     * @param prefix    key prefix inside the bucket (may be empty)
     * @param endpoint  an S3-compatible server's URL; empty for AWS
     * @param region    empty for the store's default
     * @param pathStyle path-style addressing, which most non-AWS servers need
     * @param accessKey static credentials with {@code secretKey}; both empty for the SDK's default chain
     */
    public record S3(String bucket, String prefix, String endpoint, String region,
                     @DefaultValue("false") boolean pathStyle, String accessKey, String secretKey) {
    }

    /** The store's settings; a local store without a directory lies next to {@code dataDir}. */
    public CheckpointStores.Settings settings(Path dataDir) {
        if ("s3".equalsIgnoreCase(store == null ? "" : store.strip())) {
            return CheckpointStores.Settings.s3(s3.bucket(), s3.prefix(), s3.endpoint(), s3.region(), s3.pathStyle(),
                    s3.accessKey(), s3.secretKey());
        }
        Path where = dir == null || dir.isBlank()
                ? dataDir.toAbsolutePath().normalize().resolveSibling("checkpoints")
                : Path.of(dir.strip());
        // any other kind is refused by CheckpointStores with the name it got
        return new CheckpointStores.Settings(store, where.toAbsolutePath().normalize(), null, null, null, null, false,
                null, null);
    }
}
