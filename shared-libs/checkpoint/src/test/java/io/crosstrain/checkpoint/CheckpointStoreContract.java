package io.crosstrain.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link CheckpointStore} must do; one subclass per implementation. */
abstract class CheckpointStoreContract {

    protected CheckpointStore store;

    /** A fresh, empty store. */
    protected abstract CheckpointStore newStore() throws Exception;

    /** The location the store reports for {@code key}. */
    protected abstract String expectedLocation(String key);

    @BeforeEach
    void openStore() throws Exception {
        store = newStore();
    }

    @AfterEach
    void closeStore() throws IOException {
        store.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void putGetAndOverwrite() throws IOException {
        store.put("jobs/a/one.bin", utf8("first"));
        assertThat(store.get("jobs/a/one.bin")).contains(utf8("first"));

        store.put("jobs/a/one.bin", utf8("second, longer"));
        assertThat(store.get("jobs/a/one.bin")).contains(utf8("second, longer"));
        assertThat(store.list("jobs/")).containsExactly("jobs/a/one.bin");
    }

    @Test
    void emptyObjectRoundTrips() throws IOException {
        store.put("jobs/empty", new byte[0]);
        assertThat(store.get("jobs/empty")).hasValueSatisfying(b -> assertThat(b).isEmpty());
    }

    @Test
    void missingKeyIsEmpty() throws IOException {
        assertThat(store.open("jobs/none/manifest.json")).isEmpty();
        assertThat(store.get("jobs/none/manifest.json")).isEmpty();
        store.put("jobs/x/a", utf8("a"));
        assertThat(store.open("jobs/x/b")).isEmpty();
    }

    @Test
    void listIsSortedAndStaysInsideItsPrefix() throws IOException {
        for (String key : List.of("jobs/a/step-2/x", "jobs/a/step-1/y", "jobs/a/step-10/z", "jobs/ab/w",
                "jobs/b/v", "other/u", "jobs/a/step-1/a")) {
            store.put(key, utf8(key));
        }
        assertThat(store.list("jobs/a/")).containsExactly("jobs/a/step-1/a", "jobs/a/step-1/y", "jobs/a/step-10/z",
                "jobs/a/step-2/x");
        assertThat(store.list("jobs/a/step-1/")).containsExactly("jobs/a/step-1/a", "jobs/a/step-1/y");
        // a plain string prefix, not a directory
        assertThat(store.list("jobs/a")).containsExactly("jobs/a/step-1/a", "jobs/a/step-1/y", "jobs/a/step-10/z",
                "jobs/a/step-2/x", "jobs/ab/w");
        assertThat(store.list("jobs/a/step-1")).containsExactly("jobs/a/step-1/a", "jobs/a/step-1/y",
                "jobs/a/step-10/z");
        assertThat(store.list("")).hasSize(7).isSorted();
        assertThat(store.list("nothing/")).isEmpty();
    }

    @Test
    void deleteIsIdempotent() throws IOException {
        store.put("jobs/d/k", utf8("v"));
        store.put("jobs/d/keep", utf8("v"));
        store.delete("jobs/d/k");
        assertThat(store.get("jobs/d/k")).isEmpty();
        store.delete("jobs/d/k");
        store.delete("jobs/never/there");
        assertThat(store.list("jobs/")).containsExactly("jobs/d/keep");
    }

    @Test
    void locationNamesTheObject() {
        assertThat(store.location("jobs/j/step-0000000001/manifest.json"))
                .isEqualTo(expectedLocation("jobs/j/step-0000000001/manifest.json"));
    }

    @Test
    void largeObjectRoundTripsThroughStreams() throws IOException {
        byte[] data = new byte[20 * 1024 * 1024 + 13];
        new SplittableRandom(42).nextBytes(data);
        store.put("jobs/big/shard.bin", new ByteArrayInputStream(data), data.length);

        Optional<InputStream> in = store.open("jobs/big/shard.bin");
        assertThat(in).isPresent();
        try (InputStream s = in.get()) {
            byte[] back = s.readAllBytes();
            assertThat(back.length).isEqualTo(data.length);
            assertThat(ShardCodec.sha256Hex(back)).isEqualTo(ShardCodec.sha256Hex(data));
        }
    }

    @Test
    void failedPutLeavesThePreviousObject() throws IOException {
        store.put("jobs/t/obj", utf8("old"));
        // promises 100 bytes, delivers 10
        assertThatThrownBy(() -> store.put("jobs/t/obj", new ByteArrayInputStream(new byte[10]), 100))
                .isInstanceOf(IOException.class);
        assertThat(store.get("jobs/t/obj")).contains(utf8("old"));
        assertThat(store.list("jobs/t/")).containsExactly("jobs/t/obj");
    }

    @Test
    void checkpointRoundTripsThroughTheStore() throws IOException {
        UUID job = UUID.randomUUID();
        ShardState full = Fixtures.randomState(new SplittableRandom(7), 0, 1000, true);
        CheckpointManifest written = Fixtures.writeCheckpoint(store, job, 50, full,
                new long[][] {{0, 400}, {400, 600}});

        assertThat(Checkpoints.latest(store, job)).contains(written);
        Fixtures.assertBitIdentical(Checkpoints.range(store, written, 350, 100), Fixtures.slice(full, 350, 100));
    }
}
