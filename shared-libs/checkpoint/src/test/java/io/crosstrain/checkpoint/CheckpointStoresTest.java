package io.crosstrain.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.crosstrain.checkpoint.CheckpointStores.Settings;

class CheckpointStoresTest {

    @TempDir
    Path dir;

    @Test
    void localSettingsMakeADirectoryStore() throws IOException {
        try (CheckpointStore store = CheckpointStores.create(new Settings(" Local ", dir, null, null, null, null,
                false, null, null))) {
            assertThat(store).isInstanceOf(LocalDirectoryStore.class);
            store.put("jobs/a", new byte[] {1});
            assertThat(dir.resolve("jobs/a")).exists();
        }
    }

    @Test
    void s3SettingsMakeAnS3StoreWithoutTouchingTheNetwork() throws IOException {
        try (CheckpointStore store = CheckpointStores.create(Settings.s3("bucket", "/ckpt/", "http://127.0.0.1:9",
                null, true, "a", "s"))) {
            assertThat(store).isInstanceOf(S3CheckpointStore.class);
            assertThat(store.location("jobs/x")).isEqualTo("s3://bucket/ckpt/jobs/x");
        }
        // no endpoint and no keys: AWS with the default credential chain, resolved only when used
        try (CheckpointStore store = CheckpointStores.create(Settings.s3("b", null, "", "eu-west-1", false, null,
                null))) {
            assertThat(store.location("k")).isEqualTo("s3://b/k");
        }
    }

    @Test
    void missingSettingsAreNamed() {
        assertThatThrownBy(() -> CheckpointStores.create(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CheckpointStores.create(new Settings(" ", dir, null, null, null, null, false, null,
                null))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'kind'");
        assertThatThrownBy(() -> CheckpointStores.create(new Settings("gcs", dir, null, null, null, null, false, null,
                null))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'gcs'");
        assertThatThrownBy(() -> CheckpointStores.create(Settings.local(null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'dir'");
        assertThatThrownBy(() -> CheckpointStores.create(Settings.s3("", "p", null, null, false, null, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'bucket'");
        assertThatThrownBy(() -> CheckpointStores.create(Settings.s3("b", "p", "minio:9000", null, true, null, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'endpoint'");
        assertThatThrownBy(() -> CheckpointStores.create(Settings.s3("b", "p", "http://bad host", null, true, null,
                null))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'endpoint'");
        assertThatThrownBy(() -> CheckpointStores.create(Settings.s3("b", "p", null, null, false, "key", null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("secretKey");
    }

    @Test
    void settingsNeverPrintTheSecret() {
        assertThat(Settings.s3("b", "p", null, null, false, "AKIA", "very-secret").toString())
                .contains("AKIA").doesNotContain("very-secret");
    }
}
