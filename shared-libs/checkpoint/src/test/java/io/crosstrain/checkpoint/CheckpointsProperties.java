package io.crosstrain.checkpoint;

import static io.crosstrain.testsupport.RandomCases.between;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.crosstrain.testsupport.RandomCases;

/**
 * Whatever way a state is split into (possibly overlapping) shards, every wanted range comes back bit for bit,
 * reading each shard at most once. Seeded cases, see {@link RandomCases}.
 */
class CheckpointsProperties {

    record Range(long offset, int count) {
        @Override
        public String toString() {
            return "[" + offset + ", " + (offset + count) + ")";
        }
    }

    record Split(int total, boolean outer, List<Range> shards) {
    }

    @TempDir
    Path dir;

    private final AtomicInteger stores = new AtomicInteger();

    static Split randomSplit(SplittableRandom r) {
        int total = RandomCases.oneOf(r, 1, 2, 7, between(r, 1, 64), between(r, 100, 3000));
        // a partition at random cut points, then a few extra shards across it
        TreeSet<Integer> cuts = new TreeSet<>(List.of(0, total));
        int cutCount = between(r, 0, Math.min(8, total - 1));
        while (cuts.size() < cutCount + 2) {
            cuts.add(between(r, 1, total - 1));
        }
        List<Range> shards = new ArrayList<>();
        Integer previous = null;
        for (int cut : cuts) {
            if (previous != null) {
                shards.add(new Range(previous, cut - previous));
            }
            previous = cut;
        }
        int extra = between(r, 0, 3);
        for (int i = 0; i < extra; i++) {
            int from = between(r, 0, total - 1);
            shards.add(new Range(from, between(r, 1, total - from)));
        }
        return new Split(total, r.nextBoolean(), shards);
    }

    /** A wanted range, often starting or ending right at or next to a shard border. */
    static Range randomWanted(SplittableRandom r, Split split) {
        List<Integer> borders = new ArrayList<>();
        for (Range s : split.shards()) {
            borders.add((int) s.offset());
            borders.add((int) s.offset() + s.count());
        }
        int a = r.nextBoolean() ? nudge(r, borders.get(r.nextInt(borders.size())), split.total())
                : between(r, 0, split.total());
        int b = r.nextBoolean() ? nudge(r, borders.get(r.nextInt(borders.size())), split.total())
                : between(r, 0, split.total());
        return new Range(Math.min(a, b), Math.abs(a - b));
    }

    private static int nudge(SplittableRandom r, int border, int total) {
        return Math.max(0, Math.min(total, border + between(r, -2, 2)));
    }

    @Test
    void everyWantedRangeComesBackBitForBit() {
        List<Split> edges = List.of(
                new Split(1, false, List.of(new Range(0, 1))),
                new Split(5, true, List.of(new Range(0, 1), new Range(1, 1), new Range(2, 1), new Range(3, 1),
                        new Range(4, 1))),
                new Split(100, true, List.of(new Range(0, 100), new Range(0, 50), new Range(50, 50))),
                new Split(100, false, List.of(new Range(0, 60), new Range(40, 60), new Range(30, 40))));

        int ran = RandomCases.checkWithRandom(edges, 150, CheckpointsProperties::randomSplit, (split, r) -> {
            CheckpointStore store = new LocalDirectoryStore(dir.resolve("case-" + stores.incrementAndGet()));
            UUID job = new UUID(r.nextLong(), r.nextLong());
            long step = between(r, 0, 1_000_000);
            ShardState full = Fixtures.randomState(r, 0, split.total(), split.outer());
            List<CheckpointManifest.Shard> shards = new ArrayList<>();
            for (Range s : split.shards()) {
                shards.add(Checkpoints.writeShard(store, job, step, Fixtures.slice(full, s.offset(), s.count())));
            }
            CheckpointManifest written = Checkpoints.writeManifest(store,
                    Fixtures.manifest(job, step, full, shards));
            assertThat(Checkpoints.latest(store, job)).contains(written);

            Fixtures.RecordingStore recording = new Fixtures.RecordingStore(store);
            for (int i = 0; i < 12; i++) {
                Range wanted = randomWanted(r, split);
                recording.calls.clear();
                ShardState got = Checkpoints.range(recording, written, wanted.offset(), wanted.count());
                Fixtures.assertBitIdentical(got, Fixtures.slice(full, wanted.offset(), wanted.count()));
                assertThat(new HashSet<>(recording.calls)).as("shards read for %s", wanted)
                        .hasSize(recording.calls.size());
                assertThat(recording.calls.isEmpty()).isEqualTo(wanted.count() == 0);
            }
        });
        assertThat(ran).isEqualTo(154);
    }
}
