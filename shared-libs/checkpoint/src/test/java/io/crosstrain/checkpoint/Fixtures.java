package io.crosstrain.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;

import io.crosstrain.contracts.ModelSpec;

/** Shared test data: training states with arbitrary bit patterns, manifests, and a store that records calls. */
final class Fixtures {

    private Fixtures() {
    }

    /** Every float an arbitrary bit pattern (NaN payloads, -0, subnormals), so any conversion would show. */
    static ShardState randomState(SplittableRandom r, long offset, int count, boolean outer) {
        return new ShardState(offset, 1 + r.nextInt(1000), floats(r, count), floats(r, count), floats(r, count),
                outer ? floats(r, count) : null, outer ? floats(r, count) : null, outer ? 1 + r.nextInt(50) : 0);
    }

    static float[] floats(SplittableRandom r, int count) {
        float[] a = new float[count];
        for (int i = 0; i < count; i++) {
            a[i] = Float.intBitsToFloat(r.nextInt());
        }
        return a;
    }

    /** Elements {@code [offset, offset + count)} of a state that starts at 0. */
    static ShardState slice(ShardState full, long offset, int count) {
        int from = (int) offset;
        return new ShardState(offset, full.updates(), cut(full.weights(), from, count), cut(full.means(), from, count),
                cut(full.variances(), from, count), cut(full.outerGlobal(), from, count),
                cut(full.outerVelocity(), from, count), full.outerSteps());
    }

    private static float[] cut(float[] a, int from, int count) {
        return a == null ? null : Arrays.copyOfRange(a, from, from + count);
    }

    static void assertBitIdentical(ShardState actual, ShardState expected) {
        assertThat(actual.offset()).as("offset").isEqualTo(expected.offset());
        assertThat(actual.updates()).as("updates").isEqualTo(expected.updates());
        assertThat(actual.outerSteps()).as("outerSteps").isEqualTo(expected.outerSteps());
        assertThat(bits(actual.weights())).as("weights").isEqualTo(bits(expected.weights()));
        assertThat(bits(actual.means())).as("means").isEqualTo(bits(expected.means()));
        assertThat(bits(actual.variances())).as("variances").isEqualTo(bits(expected.variances()));
        assertThat(bits(actual.outerGlobal())).as("outerGlobal").isEqualTo(bits(expected.outerGlobal()));
        assertThat(bits(actual.outerVelocity())).as("outerVelocity").isEqualTo(bits(expected.outerVelocity()));
    }

    static int[] bits(float[] a) {
        if (a == null) {
            return null;
        }
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }

    static CheckpointManifest manifest(UUID job, long step, ShardState full, List<CheckpointManifest.Shard> shards) {
        return new CheckpointManifest(CheckpointManifest.FORMAT, job, step, 3, full.hasOuter() ? "diloco" : "ddp",
                ModelSpec.demo(), 66, full.count(), full.updates(), full.hasOuter(), full.outerSteps(), shards,
                Instant.parse("2026-01-02T03:04:05.123456Z"));
    }

    /** Writes the given ranges of {@code full} as shards and completes the checkpoint. */
    static CheckpointManifest writeCheckpoint(CheckpointStore store, UUID job, long step, ShardState full,
                                              long[][] ranges) throws IOException {
        List<CheckpointManifest.Shard> shards = new ArrayList<>();
        for (long[] range : ranges) {
            shards.add(Checkpoints.writeShard(store, job, step, slice(full, range[0], (int) range[1])));
        }
        return Checkpoints.writeManifest(store, manifest(job, step, full, shards));
    }

    /** Delegates to another store and records every get ("get key") and delete ("delete key"). */
    static final class RecordingStore implements CheckpointStore {
        final CheckpointStore delegate;
        final List<String> calls = new ArrayList<>();

        RecordingStore(CheckpointStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public void put(String key, InputStream data, long length) throws IOException {
            delegate.put(key, data, length);
        }

        @Override
        public Optional<InputStream> open(String key) throws IOException {
            calls.add("get " + key);
            return delegate.open(key);
        }

        @Override
        public List<String> list(String prefix) throws IOException {
            return delegate.list(prefix);
        }

        @Override
        public void delete(String key) throws IOException {
            calls.add("delete " + key);
            delegate.delete(key);
        }

        @Override
        public String location(String key) {
            return delegate.location(key);
        }
    }
}
