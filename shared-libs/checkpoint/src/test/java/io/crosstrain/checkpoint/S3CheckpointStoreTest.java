package io.crosstrain.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import software.amazon.awssdk.services.s3.S3Client;

/** The contract against a real S3 server (S3Proxy, in process), plus what is particular to S3. */
class S3CheckpointStoreTest extends CheckpointStoreContract {

    private static InProcessS3 s3;
    private String bucket;

    @BeforeAll
    static void startServer() throws Exception {
        s3 = InProcessS3.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (s3 != null) {
            s3.close();
        }
    }

    @Override
    protected CheckpointStore newStore() {
        bucket = s3.newBucket();
        return new S3CheckpointStore(s3.client(), bucket, "runs/r1");
    }

    @Override
    protected String expectedLocation(String key) {
        return "s3://" + bucket + "/runs/r1/" + key;
    }

    @Test
    void objectsLiveBelowThePrefix() throws IOException {
        store.put("jobs/j/a", "x".getBytes(StandardCharsets.UTF_8));
        List<String> raw = new ArrayList<>();
        s3.client().listObjectsV2Paginator(b -> b.bucket(bucket)).contents().forEach(o -> raw.add(o.key()));
        assertThat(raw).containsExactly("runs/r1/jobs/j/a");
    }

    @Test
    void prefixesIsolateStoresInOneBucket() throws IOException {
        try (CheckpointStore other = new S3CheckpointStore(s3.client(), bucket, "/runs/r2/");
             CheckpointStore whole = new S3CheckpointStore(s3.client(), bucket, "")) {
            store.put("jobs/j/a", new byte[] {1});
            other.put("jobs/j/a", new byte[] {2});
            assertThat(store.get("jobs/j/a")).contains(new byte[] {1});
            assertThat(other.get("jobs/j/a")).contains(new byte[] {2});
            assertThat(other.list("")).containsExactly("jobs/j/a");
            assertThat(whole.list("")).containsExactly("runs/r1/jobs/j/a", "runs/r2/jobs/j/a");
            assertThat(whole.location("k")).isEqualTo("s3://" + bucket + "/k");
            assertThat(other.location("k")).isEqualTo("s3://" + bucket + "/runs/r2/k");
        }
    }

    @Test
    void listFollowsEveryPage() throws IOException {
        S3CheckpointStore paged = new S3CheckpointStore(s3.client(), bucket, "p", 3, false);
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            keys.add(String.format("jobs/j/k-%02d", i));
            paged.put(keys.get(i), new byte[] {(byte) i});
        }
        assertThat(paged.list("jobs/")).containsExactlyElementsOf(keys);
    }

    @Test
    void wrongCredentialsAreRefusedByTheServer() {
        try (S3Client wrong = S3CheckpointStore.client(s3.endpoint(), null, true, InProcessS3.ACCESS_KEY, "nope")) {
            CheckpointStore bad = new S3CheckpointStore(wrong, bucket, "");
            assertThatThrownBy(() -> bad.put("jobs/j/a", new byte[] {1}))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("s3://" + bucket + "/jobs/j/a");
        }
    }

    @Test
    void missingBucketIsAnErrorNotAnEmptyObject() {
        CheckpointStore none = new S3CheckpointStore(s3.client(), "no-such-bucket", "");
        assertThatThrownBy(() -> none.open("jobs/j/a")).isInstanceOf(IOException.class);
    }

    @Test
    void settingsBuildAWorkingStore() throws IOException {
        CheckpointStores.Settings settings = CheckpointStores.Settings.s3(bucket, "from-settings",
                s3.endpoint().toString(), "", true, InProcessS3.ACCESS_KEY, InProcessS3.SECRET_KEY);
        try (CheckpointStore created = CheckpointStores.create(settings)) {
            assertThat(created).isInstanceOf(S3CheckpointStore.class);
            created.put("jobs/j/a", new byte[] {9});
            assertThat(created.get("jobs/j/a")).contains(new byte[] {9});
            assertThat(created.location("jobs/j/a")).isEqualTo("s3://" + bucket + "/from-settings/jobs/j/a");
        }
        // the store closed only its own client
        assertThat(store.list("")).isEmpty();
    }
}
