package io.crosstrain.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocalDirectoryStoreTest extends CheckpointStoreContract {

    @TempDir
    Path dir;

    @Override
    protected CheckpointStore newStore() {
        return new LocalDirectoryStore(dir.resolve("store"));
    }

    @Override
    protected String expectedLocation(String key) {
        return "file://" + dir.resolve("store").toAbsolutePath() + "/" + key;
    }

    @ParameterizedTest
    @ValueSource(strings = {"../escape", "jobs/../../escape", "jobs/..", "/etc/passwd", "jobs//x", "jobs/x/",
            "./jobs", "jobs/./x", "", "jobs\\..\\x", "jobs/x" + LocalDirectoryStore.TEMP_SUFFIX})
    void rejectsKeysThatAreNotPlainRelativePaths(String key) {
        assertThatThrownBy(() -> store.put(key, new byte[1])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.open(key)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.delete(key)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.location(key)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsListingOutsideTheRoot() {
        assertThatThrownBy(() -> store.list("../")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.list("jobs/../../x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keysAreRelativePathsUnderTheRoot() throws IOException {
        store.put("jobs/j/step-0000000001/manifest.json", "{}".getBytes(StandardCharsets.UTF_8));
        Path file = dir.resolve("store/jobs/j/step-0000000001/manifest.json");
        assertThat(file).hasContent("{}");
        assertThat(store.location("jobs/j/step-0000000001/manifest.json")).startsWith("file:///")
                .isEqualTo(file.toUri().toString());
    }

    @Test
    void leavesNoTemporaryFilesAndSkipsForeignOnes() throws IOException {
        store.put("jobs/j/a", new byte[] {1});
        store.put("jobs/j/a", new byte[] {2});
        try (Stream<Path> files = Files.list(dir.resolve("store/jobs/j"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("a");
        }
        // a crashed write's temporary file is never listed as a key
        Files.write(dir.resolve("store/jobs/j/.b.123" + LocalDirectoryStore.TEMP_SUFFIX), new byte[] {3});
        assertThat(store.list("jobs/")).containsExactly("jobs/j/a");
    }

    @Test
    void deleteRemovesDirectoriesItEmptied() throws IOException {
        store.put("jobs/j/step-1/a", new byte[] {1});
        store.put("jobs/j/step-2/b", new byte[] {1});
        store.delete("jobs/j/step-1/a");
        assertThat(dir.resolve("store/jobs/j/step-1")).doesNotExist();
        assertThat(dir.resolve("store/jobs/j/step-2/b")).exists();
        store.put("jobs/j/step-1/a", new byte[] {2});
        assertThat(store.get("jobs/j/step-1/a")).contains(new byte[] {2});
    }

    @Test
    void aDirectoryIsNoObject() throws IOException {
        store.put("jobs/j/a", new byte[] {1});
        assertThat(store.open("jobs/j")).isEmpty();
        store.delete("jobs/j");
        assertThat(store.get("jobs/j/a")).contains(new byte[] {1});
    }

    @Test
    void missingRootListsNothing() throws IOException {
        assertThat(new LocalDirectoryStore(dir.resolve("absent")).list("")).isEmpty();
    }
}
