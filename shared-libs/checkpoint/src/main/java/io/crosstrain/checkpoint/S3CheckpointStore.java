package io.crosstrain.checkpoint;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A {@link CheckpointStore} in an S3 bucket (AWS or any S3-compatible server), below an optional key prefix. A
 * single PutObject is atomic in S3, so no temporary objects are needed. SDK failures surface as {@link IOException}s
 * naming the object.
 */
public final class S3CheckpointStore implements CheckpointStore {

    public static final String DEFAULT_REGION = "us-east-1";
    static final int DEFAULT_PAGE_SIZE = 1000;

    private final S3Client client;
    private final String bucket;
    private final String prefix;
    private final int pageSize;
    private final boolean ownsClient;

    /** A store on a client the caller keeps and closes; {@code prefix} may be empty. */
    public S3CheckpointStore(S3Client client, String bucket, String prefix) {
        this(client, bucket, prefix, DEFAULT_PAGE_SIZE, false);
    }

    S3CheckpointStore(S3Client client, String bucket, String prefix, int pageSize, boolean ownsClient) {
        if (client == null) {
            throw new IllegalArgumentException("S3 client is null");
        }
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("S3 bucket is missing");
        }
        if (pageSize < 1) {
            throw new IllegalArgumentException("page size " + pageSize);
        }
        this.client = client;
        this.bucket = bucket;
        this.prefix = normalizePrefix(prefix);
        this.pageSize = pageSize;
        this.ownsClient = ownsClient;
    }

    /**
     * An S3 client on the url-connection HTTP client.
     *
     * @param endpoint  null for AWS itself, else the S3-compatible server ({@code http://minio:9000}); then request
     *                  and response checksums are only used where S3 requires them
     * @param region    null or blank for {@value #DEFAULT_REGION}
     * @param pathStyle {@code http://host/bucket/key} instead of {@code http://bucket.host/key} (most non-AWS servers)
     * @param accessKey with {@code secretKey} static credentials; both null or blank for the SDK's default chain
     */
    public static S3Client client(URI endpoint, String region, boolean pathStyle, String accessKey, String secretKey) {
        boolean hasAccess = accessKey != null && !accessKey.isBlank();
        boolean hasSecret = secretKey != null && !secretKey.isBlank();
        if (hasAccess != hasSecret) {
            throw new IllegalArgumentException("S3 " + (hasAccess ? "accessKey is set but secretKey is missing"
                    : "secretKey is set but accessKey is missing"));
        }
        AwsCredentialsProvider credentials = hasAccess
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey))
                : DefaultCredentialsProvider.builder().build();
        S3ClientBuilder builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .region(Region.of(region == null || region.isBlank() ? DEFAULT_REGION : region.strip()))
                .forcePathStyle(pathStyle)
                .credentialsProvider(credentials);
        if (endpoint != null) {
            // S3-compatible servers often lack the SDK's default trailing CRC checksums (S3Proxy 2.6 answers 400/501,
            // gaul/s3proxy#795); shards carry their own SHA-256 in the manifest, so send checksums only when required
            builder.endpointOverride(endpoint)
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        }
        return builder.build();
    }

    /** A store that owns {@code client} and closes it with itself. */
    static S3CheckpointStore owning(S3Client client, String bucket, String prefix) {
        return new S3CheckpointStore(client, bucket, prefix, DEFAULT_PAGE_SIZE, true);
    }

    public String bucket() {
        return bucket;
    }

    /** The key prefix, empty or ending with {@code /}. */
    public String prefix() {
        return prefix;
    }

    @Override
    public void put(String key, InputStream data, long length) throws IOException {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        // a short stream must fail as an IOException, as with the local store, not as the SDK's IllegalStateException
        put(key, RequestBody.fromInputStream(new ExactLength(data, length), length), length);
    }

    @Override
    public void put(String key, byte[] bytes) throws IOException {
        // a fresh stream per attempt lets the SDK retry without buffering a copy
        put(key, RequestBody.fromContentProvider(() -> new ByteArrayInputStream(bytes), bytes.length,
                "application/octet-stream"), bytes.length);
    }

    private void put(String key, RequestBody body, long length) throws IOException {
        String object = objectKey(key);
        PutObjectRequest request = PutObjectRequest.builder().bucket(bucket).key(object).contentLength(length).build();
        try {
            client.putObject(request, body);
        } catch (SdkException e) {
            throw failure("put", key, e);
        }
    }

    @Override
    public Optional<InputStream> open(String key) throws IOException {
        GetObjectRequest request = GetObjectRequest.builder().bucket(bucket).key(objectKey(key)).build();
        try {
            return Optional.of(client.getObject(request));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw failure("get", key, e);
        }
    }

    @Override
    public List<String> list(String keyPrefix) throws IOException {
        if (keyPrefix == null) {
            throw new IllegalArgumentException("prefix is null");
        }
        ListObjectsV2Request request = ListObjectsV2Request.builder()
                .bucket(bucket).prefix(prefix + keyPrefix).maxKeys(pageSize).build();
        List<String> keys = new ArrayList<>();
        try {
            for (S3Object object : client.listObjectsV2Paginator(request).contents()) {
                keys.add(object.key().substring(prefix.length()));
            }
        } catch (SdkException e) {
            throw failure("list", keyPrefix + "*", e);
        }
        // S3 orders by UTF-8 bytes, Java strings by UTF-16 units; both stores promise the latter
        keys.sort(null);
        return keys;
    }

    @Override
    public void delete(String key) throws IOException {
        try {
            client.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(objectKey(key)).build());
        } catch (SdkException e) {
            throw failure("delete", key, e);
        }
    }

    @Override
    public String location(String key) {
        return "s3://" + bucket + "/" + objectKey(key);
    }

    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }

    @Override
    public String toString() {
        return "S3CheckpointStore[s3://" + bucket + "/" + prefix + "]";
    }

    private String objectKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("checkpoint key is empty");
        }
        return prefix + key;
    }

    private IOException failure(String operation, String key, SdkException e) {
        return new IOException("S3 " + operation + " of s3://" + bucket + "/" + prefix + key + " failed: "
                + e.getMessage(), e);
    }

    private static String normalizePrefix(String prefix) {
        if (prefix == null) {
            return "";
        }
        String p = prefix.strip();
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.isEmpty() ? "" : p + "/";
    }

    /** Fails the read that finds the end of the data before {@code length} bytes. */
    private static final class ExactLength extends FilterInputStream {
        private final long length;
        private long read;
        private long marked;

        ExactLength(InputStream in, long length) {
            super(in);
            this.length = length;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count(b < 0 ? -1 : 1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count(n);
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            read += skipped;
            return skipped;
        }

        @Override
        public synchronized void mark(int readLimit) {
            super.mark(readLimit);
            marked = read;
        }

        @Override
        public synchronized void reset() throws IOException {
            super.reset();
            read = marked;
        }

        private void count(int n) throws IOException {
            if (n < 0 && read < length) {
                throw new IOException("data ended after " + read + " of " + length + " bytes");
            }
            read += Math.max(n, 0);
        }
    }
}
