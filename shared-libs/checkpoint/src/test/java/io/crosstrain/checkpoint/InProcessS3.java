package io.crosstrain.checkpoint;

import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real S3 server for tests: S3Proxy on a jclouds in-memory ("transient") blob store, on 127.0.0.1 and a free port,
 * checking SigV2/V4 signatures against static credentials.
 */
final class InProcessS3 implements AutoCloseable {

    static final String ACCESS_KEY = "test-access";
    static final String SECRET_KEY = "test-secret-0123456789";

    private static final AtomicInteger BUCKETS = new AtomicInteger();

    private final BlobStoreContext context;
    private final S3Proxy proxy;
    private final URI endpoint;
    private final S3Client client;

    private InProcessS3(BlobStoreContext context, S3Proxy proxy) {
        this.context = context;
        this.proxy = proxy;
        this.endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
        this.client = S3CheckpointStore.client(endpoint, "us-east-1", true, ACCESS_KEY, SECRET_KEY);
    }

    static InProcessS3 start() throws Exception {
        BlobStoreContext context = ContextBuilder.newBuilder("transient")
                .credentials("identity", "credential")
                .build(BlobStoreContext.class);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:0")) // port 0: Jetty picks a free one
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        try {
            proxy.start();
        } catch (Exception e) {
            context.close();
            throw e;
        }
        return new InProcessS3(context, proxy);
    }

    URI endpoint() {
        return endpoint;
    }

    /** A client with the server's credentials (path style); owned by this server. */
    S3Client client() {
        return client;
    }

    /** A new, empty bucket, created through the SDK. */
    String newBucket() {
        String bucket = "ckpt-test-" + BUCKETS.incrementAndGet();
        client.createBucket(b -> b.bucket(bucket));
        return bucket;
    }

    @Override
    public void close() throws Exception {
        client.close();
        try {
            proxy.stop();
        } finally {
            context.close();
        }
    }
}
