package io.crosstrain.checkpoint;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Locale;

/** Builds a {@link CheckpointStore} from plain settings, so services can bind them from any configuration source. */
public final class CheckpointStores {

    /**
     * Where checkpoints live.
     *
     * @param kind      {@code local} or {@code s3}
     * @param dir       the directory ({@code local})
     * @param bucket    the bucket ({@code s3})
     * @param prefix    key prefix inside the bucket, may be empty ({@code s3})
     * @param endpoint  an S3-compatible server's URL; empty for AWS ({@code s3})
     * @param region    empty for {@value S3CheckpointStore#DEFAULT_REGION} ({@code s3})
     * @param pathStyle path-style addressing, which most non-AWS servers need ({@code s3})
     * @param accessKey static credentials together with {@code secretKey}; both empty for the SDK's default chain
     */
    public record Settings(String kind, Path dir, String bucket, String prefix, String endpoint, String region,
                           boolean pathStyle, String accessKey, String secretKey) {

        public static Settings local(Path dir) {
            return new Settings("local", dir, null, null, null, null, false, null, null);
        }

        public static Settings s3(String bucket, String prefix, String endpoint, String region, boolean pathStyle,
                                  String accessKey, String secretKey) {
            return new Settings("s3", null, bucket, prefix, endpoint, region, pathStyle, accessKey, secretKey);
        }

        @Override
        public String toString() {
            // never print the secret
            return "Settings[kind=" + kind + ", dir=" + dir + ", bucket=" + bucket + ", prefix=" + prefix
                    + ", endpoint=" + endpoint + ", region=" + region + ", pathStyle=" + pathStyle
                    + ", accessKey=" + accessKey + ", secretKey=" + (isBlank(secretKey) ? "" : "***") + "]";
        }
    }

    private CheckpointStores() {
    }

    /** The store the settings describe; the caller closes it. */
    public static CheckpointStore create(Settings s) {
        if (s == null) {
            throw new IllegalArgumentException("checkpoint store settings are missing");
        }
        if (isBlank(s.kind())) {
            throw new IllegalArgumentException("checkpoint store setting 'kind' is missing (local or s3)");
        }
        String kind = s.kind().strip().toLowerCase(Locale.ROOT);
        switch (kind) {
            case "local" -> {
                if (s.dir() == null) {
                    throw new IllegalArgumentException("checkpoint store setting 'dir' is missing (kind local)");
                }
                return new LocalDirectoryStore(s.dir());
            }
            case "s3" -> {
                if (isBlank(s.bucket())) {
                    throw new IllegalArgumentException("checkpoint store setting 'bucket' is missing (kind s3)");
                }
                URI endpoint = endpoint(s.endpoint());
                return S3CheckpointStore.owning(
                        S3CheckpointStore.client(endpoint, s.region(), s.pathStyle(), s.accessKey(), s.secretKey()),
                        s.bucket().strip(), s.prefix());
            }
            default -> throw new IllegalArgumentException("checkpoint store setting 'kind' is '" + s.kind()
                    + "'; expected local or s3");
        }
    }

    private static URI endpoint(String endpoint) {
        if (isBlank(endpoint)) {
            return null;
        }
        try {
            URI uri = new URI(endpoint.strip());
            String scheme = uri.getScheme();
            if (uri.getHost() == null || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))) {
                throw new IllegalArgumentException("checkpoint store setting 'endpoint' must be an http(s) URL, got '"
                        + endpoint + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("checkpoint store setting 'endpoint' is not a URL: '" + endpoint + "'",
                    e);
        }
    }

    private static boolean isBlank(String s) {
        return s == null || s.isBlank();
    }
}
