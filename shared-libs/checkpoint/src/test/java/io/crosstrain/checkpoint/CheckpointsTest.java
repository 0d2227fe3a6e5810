package io.crosstrain.checkpoint;

import static io.crosstrain.checkpoint.Fixtures.assertBitIdentical;
import static io.crosstrain.checkpoint.Fixtures.slice;
import static io.crosstrain.checkpoint.Fixtures.writeCheckpoint;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {

    private static final int TOTAL = 1000;

    @TempDir
    java.nio.file.Path dir;

    private CheckpointStore store;
    private final UUID job = UUID.randomUUID();
    private final ShardState full = Fixtures.randomState(new SplittableRandom(11), 0, TOTAL, true);

    @BeforeEach
    void store() {
        store = new LocalDirectoryStore(dir);
    }

    /** Ranges that straddle the borders at 300, 400, 700 and the ends. */
    private static final long[][] WANTED = {{0, TOTAL}, {0, 0}, {399, 2}, {350, 100}, {0, 400}, {400, 600},
            {999, 1}, {0, 1}, {299, 402}, {123, 1}, {690, 20}};

    @Test
    void rangeAssemblesExactSlicesFromSplitAndOverlappingShards() throws IOException {
        CheckpointManifest split = writeCheckpoint(store, job, 10, full, new long[][] {{0, 400}, {400, 600}});
        CheckpointManifest withWhole = writeCheckpoint(store, job, 20, full,
                new long[][] {{400, 600}, {0, 400}, {0, TOTAL}});
        CheckpointManifest acrossBorder = writeCheckpoint(store, job, 30, full,
                new long[][] {{0, 400}, {400, 600}, {300, 400}});
        assertThat(withWhole.shards()).extracting(CheckpointManifest.Shard::offset).containsExactly(0L, 0L, 400L);

        for (CheckpointManifest m : List.of(split, withWhole, acrossBorder)) {
            for (long[] w : WANTED) {
                ShardState got = Checkpoints.range(store, m, w[0], (int) w[1]);
                assertBitIdentical(got, slice(full, w[0], (int) w[1]));
            }
        }
    }

    @Test
    void rangeReadsEachNeededShardOnceAndNoOther() throws IOException {
        CheckpointManifest split = writeCheckpoint(store, job, 10, full, new long[][] {{0, 400}, {400, 600}});
        CheckpointManifest across = writeCheckpoint(store, job, 20, full,
                new long[][] {{0, 400}, {400, 600}, {300, 400}});
        Fixtures.RecordingStore recording = new Fixtures.RecordingStore(store);

        Checkpoints.range(recording, split, 350, 100);
        assertThat(recording.calls).containsExactly("get " + CheckpointKeys.shard(job, 10, 0, 400),
                "get " + CheckpointKeys.shard(job, 10, 400, 600));
        recording.calls.clear();
        Checkpoints.range(recording, split, 10, 20);
        assertThat(recording.calls).containsExactly("get " + CheckpointKeys.shard(job, 10, 0, 400));
        recording.calls.clear();
        // [300, 700) covers the whole wanted range on its own
        Checkpoints.range(recording, across, 350, 100);
        assertThat(recording.calls).containsExactly("get " + CheckpointKeys.shard(job, 20, 300, 400));
    }

    @Test
    void latestAndListSeeOnlyCompleteCheckpoints() throws IOException {
        assertThat(Checkpoints.latest(store, job)).isEmpty();
        CheckpointManifest a = writeCheckpoint(store, job, 10, full, new long[][] {{0, TOTAL}});
        CheckpointManifest b = writeCheckpoint(store, job, 200, full, new long[][] {{0, 500}, {500, 500}});
        // torn: a newer step whose shards exist but whose manifest was never written
        Checkpoints.writeShard(store, job, 300, slice(full, 0, 500));
        Checkpoints.writeShard(store, job, 300, slice(full, 500, 500));
        // another job's checkpoint stays out of this job's view
        writeCheckpoint(store, UUID.randomUUID(), 400, full, new long[][] {{0, TOTAL}});

        assertThat(Checkpoints.latest(store, job)).contains(b);
        assertThat(Checkpoints.list(store, job)).containsExactly(a, b);
        assertThat(Checkpoints.steps(store, job)).containsExactly(10L, 200L);
        assertThat(Checkpoints.read(store, CheckpointKeys.manifest(job, 10))).isEqualTo(a);

        UUID tornOnly = UUID.randomUUID();
        Checkpoints.writeShard(store, tornOnly, 5, full);
        assertThat(Checkpoints.latest(store, tornOnly)).isEmpty();
        assertThat(Checkpoints.list(store, tornOnly)).isEmpty();
    }

    @Test
    void writeManifestRefusesShardsThatDoNotCoverTheParameters() throws IOException {
        List<CheckpointManifest.Shard> shards = new ArrayList<>();
        for (long[] r : new long[][] {{0, 400}, {401, 599}, {0, 100}, {500, 400}, {100, 300}, {350, 250}}) {
            shards.add(Checkpoints.writeShard(store, job, 10, slice(full, r[0], (int) r[1])));
        }
        CheckpointManifest.Shard s0to400 = shards.get(0);
        CheckpointManifest.Shard s401to1000 = shards.get(1);

        assertThatThrownBy(() -> Checkpoints.writeManifest(store, Fixtures.manifest(job, 10, full,
                List.of(s0to400, s401to1000))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("[400, 401)");
        assertThatThrownBy(() -> Checkpoints.writeManifest(store, Fixtures.manifest(job, 10, full,
                List.of(shards.get(2), shards.get(4)))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("[400, 1000)");
        assertThatThrownBy(() -> Checkpoints.writeManifest(store, Fixtures.manifest(job, 10, full,
                List.of(shards.get(4), s401to1000))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("[0, 100)");
        assertThatThrownBy(() -> Checkpoints.writeManifest(store, Fixtures.manifest(job, 10, full, List.of())))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no shards");
        assertThat(Checkpoints.steps(store, job)).isEmpty();

        // overlapping shards that do cover are fine
        CheckpointManifest ok = Checkpoints.writeManifest(store, Fixtures.manifest(job, 10, full,
                List.of(s401to1000, shards.get(3), shards.get(5), s0to400, shards.get(2))));
        assertThat(ok.shards()).extracting(CheckpointManifest.Shard::offset)
                .containsExactly(0L, 0L, 350L, 401L, 500L);
        assertBitIdentical(Checkpoints.range(store, ok, 0, TOTAL), full);
        assertThat(Checkpoints.steps(store, job)).containsExactly(10L);
    }

    @Test
    void writeManifestRefusesShardsThatAreNotStoredOrNotItsOwn() throws IOException {
        CheckpointManifest.Shard stored = Checkpoints.writeShard(store, job, 10, slice(full, 0, 600));
        CheckpointManifest.Shard notStored = new CheckpointManifest.Shard(CheckpointKeys.shard(job, 10, 600, 400),
                600, 400, ShardCodec.encodedSize(400, true), "0".repeat(64));
        assertThatThrownBy(() -> Checkpoints.writeManifest(store, Fixtures.manifest(job, 10, full,
                List.of(stored, notStored))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not in the store")
                .hasMessageContaining("shard-600-400.bin");

        CheckpointManifest.Shard otherStep = Checkpoints.writeShard(store, job, 9, slice(full, 600, 400));
        assertThatThrownBy(() -> Checkpoints.writeManifest(store, Fixtures.manifest(job, 10, full,
                List.of(stored, otherStep))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not below");
        assertThat(Checkpoints.steps(store, job)).isEmpty();
    }

    @Test
    void corruptedShardIsCaughtByItsSha256() throws IOException {
        CheckpointManifest m = writeCheckpoint(store, job, 10, full, new long[][] {{0, 400}, {400, 600}});
        String second = CheckpointKeys.shard(job, 10, 400, 600);
        byte[] bytes = store.get(second).orElseThrow();
        bytes[bytes.length - 3] ^= 0x10; // one bit of one float: still a well-formed shard
        store.put(second, bytes);

        assertThatThrownBy(() -> Checkpoints.range(store, m, 350, 100))
                .isInstanceOf(CorruptCheckpointException.class)
                .hasMessageContaining("SHA-256").hasMessageContaining("shard-400-600.bin");
        // the intact shard still serves its own range
        assertBitIdentical(Checkpoints.range(store, m, 0, 400), slice(full, 0, 400));

        store.delete(second);
        assertThatThrownBy(() -> Checkpoints.range(store, m, 500, 1))
                .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("missing");
    }

    @Test
    void readRefusesAManifestUnderAnotherStepsKey() throws IOException {
        writeCheckpoint(store, job, 10, full, new long[][] {{0, TOTAL}});
        store.put(CheckpointKeys.manifest(job, 11), store.get(CheckpointKeys.manifest(job, 10)).orElseThrow());
        assertThatThrownBy(() -> Checkpoints.read(store, CheckpointKeys.manifest(job, 11)))
                .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("step 10");
        assertThatThrownBy(() -> Checkpoints.read(store, CheckpointKeys.manifest(job, 12)))
                .isInstanceOf(IOException.class).hasMessageContaining("no checkpoint manifest");
    }

    @Test
    void rangeRejectsRangesOutsideTheCheckpoint() throws IOException {
        CheckpointManifest m = writeCheckpoint(store, job, 10, full, new long[][] {{0, TOTAL}});
        assertThatThrownBy(() -> Checkpoints.range(store, m, 999, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Checkpoints.range(store, m, -1, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pruneKeepsTheNewestAndDeletesManifestsBeforeShards() throws IOException {
        ShardState small = slice(full, 0, 10);
        Checkpoints.writeShard(store, job, 5, slice(small, 0, 5)); // torn, older than everything kept
        for (long step = 10; step <= 50; step += 10) {
            writeCheckpoint(store, job, step, small, new long[][] {{0, 5}, {5, 5}});
        }
        Checkpoints.writeShard(store, job, 60, slice(small, 0, 5)); // torn, newer: maybe still being written
        Fixtures.RecordingStore recording = new Fixtures.RecordingStore(store);

        List<String> deleted = Checkpoints.prune(recording, job, 2);

        assertThat(Checkpoints.steps(store, job)).containsExactly(40L, 50L);
        assertThat(store.list(CheckpointKeys.stepPrefix(job, 5))).isEmpty();
        assertThat(store.list(CheckpointKeys.stepPrefix(job, 60))).hasSize(1);
        for (long step : new long[] {10, 20, 30}) {
            assertThat(store.list(CheckpointKeys.stepPrefix(job, step))).isEmpty();
            String manifestDelete = "delete " + CheckpointKeys.manifest(job, step);
            int at = recording.calls.indexOf(manifestDelete);
            assertThat(at).as("manifest of step %d deleted", step).isNotNegative();
            for (String shard : List.of(CheckpointKeys.shard(job, step, 0, 5), CheckpointKeys.shard(job, step, 5, 5))) {
                assertThat(recording.calls.indexOf("delete " + shard)).as(shard).isGreaterThan(at);
            }
        }
        assertThat(deleted).hasSize(1 + 3 * 3);
        assertThat(recording.calls).containsExactlyElementsOf(deleted.stream().map(k -> "delete " + k).toList());
        // what is kept still reads
        CheckpointManifest kept = Checkpoints.latest(store, job).orElseThrow();
        assertBitIdentical(Checkpoints.range(store, kept, 3, 4), slice(small, 3, 4));

        assertThat(Checkpoints.prune(store, job, 2)).isEmpty();
        assertThat(Checkpoints.prune(store, job, 1)).hasSize(3);
        assertThat(Checkpoints.steps(store, job)).containsExactly(50L);
        assertThatThrownBy(() -> Checkpoints.prune(store, job, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pruneWithoutAnyCompleteCheckpointKeepsTornWrites() throws IOException {
        Checkpoints.writeShard(store, job, 5, slice(full, 0, 5));
        assertThat(Checkpoints.prune(store, job, 3)).isEmpty();
        assertThat(store.list(CheckpointKeys.jobPrefix(job))).hasSize(1);
    }
}
