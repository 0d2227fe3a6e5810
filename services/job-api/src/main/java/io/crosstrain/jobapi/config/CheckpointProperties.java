package io.crosstrain.jobapi.config;

import java.nio.file.Path;

import org.springframework.boot.context.properties.ConfigurationProperties;

import io.crosstrain.checkpoint.CheckpointStores;

/**
 * Where checkpoints live (docs/architecture.md §13): the same store the workers write their shards to.
 *
 * @param store {@code local} (a directory every worker and job-api can reach) or {@code s3}
 * @param dir   the directory of a {@code local} store
 * @param s3    the bucket of an {@code s3} store
 */
@ConfigurationProperties("crosstrain.checkpoints")
public record CheckpointProperties(String store, String dir, S3 s3) {

    public CheckpointProperties {
        store = store == null || store.isBlank() ? "local" : store.strip();
        dir = dir == null || dir.isBlank() ? "./checkpoints" : dir;
        s3 = s3 == null ? new S3(null, null, null, null, false, null, null) : s3;
    }

    /**
     * @param prefix    key prefix inside the bucket; may be empty
     * @param endpoint  an S3-compatible server's URL; empty for AWS
     * @param region    empty for the SDK's default region
     * @param pathStyle path-style addressing, which most non-AWS servers need
     * @param accessKey with {@code secretKey}: static credentials; both empty for the SDK's default chain
     */
    public record S3(String bucket, String prefix, String endpoint, String region, boolean pathStyle,
                     String accessKey, String secretKey) {

        @Override
        public String toString() {
            // never log the secret
            return "S3[bucket=" + bucket + ", prefix=" + prefix + ", endpoint=" + endpoint + ", region=" + region
                    + ", pathStyle=" + pathStyle + ", accessKey=" + accessKey + "]";
        }
    }

    /** The library's settings; it checks them and names what is missing. */
    public CheckpointStores.Settings settings() {
        return new CheckpointStores.Settings(store, Path.of(dir), s3.bucket(), s3.prefix(), s3.endpoint(),
                s3.region(), s3.pathStyle(), s3.accessKey(), s3.secretKey());
    }
}
