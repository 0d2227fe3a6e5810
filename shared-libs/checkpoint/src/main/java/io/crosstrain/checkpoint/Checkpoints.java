package io.crosstrain.checkpoint;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The checkpoint operations services use. A checkpoint is complete once its manifest exists: shards are written
 * first, the manifest last, and the manifest is deleted first when a checkpoint is pruned. Objects of a step without
 * a manifest (a torn checkpoint: a crash or a write still running) are never read.
 */
public final class Checkpoints {

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private Checkpoints() {
    }

    /** Stores one shard of step {@code step} and returns the manifest entry for it. */
    public static CheckpointManifest.Shard writeShard(CheckpointStore store, UUID jobId, long step, ShardState state)
            throws IOException {
        byte[] bytes = ShardCodec.encode(state);
        String key = CheckpointKeys.shard(jobId, step, state.offset(), state.count());
        store.put(key, bytes);
        return new CheckpointManifest.Shard(key, state.offset(), state.count(), bytes.length,
                ShardCodec.sha256Hex(bytes));
    }

    /**
     * Completes a checkpoint. Refuses ({@link IllegalStateException}) a manifest whose shards do not cover
     * {@code [0, parameters)}, lie outside its step's prefix, or are not in the store yet.
     *
     * @return the manifest as written (shards in offset order)
     */
    public static CheckpointManifest writeManifest(CheckpointStore store, CheckpointManifest manifest)
            throws IOException {
        List<CheckpointManifest.Shard> shards = validate(manifest);
        String stepPrefix = CheckpointKeys.stepPrefix(manifest.jobId(), manifest.step());
        Set<String> present = new HashSet<>(store.list(stepPrefix));
        for (CheckpointManifest.Shard shard : shards) {
            if (!present.contains(shard.key())) {
                throw new IllegalStateException("shard " + store.location(shard.key())
                        + " is not in the store; write every shard before the manifest");
            }
        }
        CheckpointManifest sorted = new CheckpointManifest(manifest.format(), manifest.jobId(), manifest.step(),
                manifest.planVersion(), manifest.strategy(), manifest.model(), manifest.vocabSize(),
                manifest.parameters(), manifest.updates(), manifest.outer(), manifest.outerSteps(), shards,
                manifest.createdAt());
        store.put(CheckpointKeys.manifest(manifest.jobId(), manifest.step()), ManifestCodec.encode(sorted));
        return sorted;
    }

    /** Steps of the job's complete checkpoints, oldest first. */
    public static List<Long> steps(CheckpointStore store, UUID jobId) throws IOException {
        List<Long> steps = new ArrayList<>();
        for (String key : store.list(CheckpointKeys.jobPrefix(jobId))) {
            OptionalLong step = CheckpointKeys.manifestStep(key);
            if (step.isPresent()) {
                steps.add(step.getAsLong());
            }
        }
        steps.sort(null);
        return steps;
    }

    /** The newest complete checkpoint of the job, if any. */
    public static Optional<CheckpointManifest> latest(CheckpointStore store, UUID jobId) throws IOException {
        List<Long> steps = steps(store, jobId);
        if (steps.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(read(store, CheckpointKeys.manifest(jobId, steps.get(steps.size() - 1))));
    }

    /** Every complete checkpoint of the job, oldest first. */
    public static List<CheckpointManifest> list(CheckpointStore store, UUID jobId) throws IOException {
        List<CheckpointManifest> manifests = new ArrayList<>();
        for (long step : steps(store, jobId)) {
            manifests.add(read(store, CheckpointKeys.manifest(jobId, step)));
        }
        return manifests;
    }

    public static CheckpointManifest read(CheckpointStore store, String manifestKey) throws IOException {
        byte[] bytes = store.get(manifestKey).orElseThrow(
                () -> new FileNotFoundException("no checkpoint manifest at " + store.location(manifestKey)));
        CheckpointManifest manifest;
        try {
            manifest = ManifestCodec.decode(bytes);
        } catch (IllegalArgumentException e) {
            throw new IOException("cannot read checkpoint manifest " + store.location(manifestKey) + ": "
                    + e.getMessage(), e);
        }
        OptionalLong step = CheckpointKeys.manifestStep(manifestKey);
        if (step.isPresent() && (manifest.jobId() == null || step.getAsLong() != manifest.step()
                || !manifestKey.startsWith(CheckpointKeys.jobPrefix(manifest.jobId())))) {
            throw new CorruptCheckpointException("manifest " + store.location(manifestKey) + " names job "
                    + manifest.jobId() + " step " + manifest.step() + ", not the job and step of its key");
        }
        return manifest;
    }

    /**
     * The state of elements {@code [offset, offset + count)}, assembled from the shards that cover it. Each shard
     * read is checked against the manifest (size, SHA-256, range, counters) first.
     */
    public static ShardState range(CheckpointStore store, CheckpointManifest manifest, long offset, int count)
            throws IOException {
        if (offset < 0 || count < 0 || offset + count > manifest.parameters()) {
            throw new IllegalArgumentException("range [" + offset + ", " + (offset + count)
                    + ") is not within the checkpoint's " + manifest.parameters() + " parameters");
        }
        boolean outer = manifest.outer();
        float[][] out = new float[outer ? 5 : 3][count];
        long end = offset + count;
        long pos = offset;
        while (pos < end) {
            // the covering shard reaching furthest: fewest reads, and no shard is chosen twice
            CheckpointManifest.Shard best = null;
            for (CheckpointManifest.Shard s : manifest.shards()) {
                if (s.offset() <= pos && pos < s.offset() + s.count()
                        && (best == null || s.offset() + s.count() > best.offset() + best.count())) {
                    best = s;
                }
            }
            if (best == null) {
                throw new CorruptCheckpointException("no shard of step " + manifest.step() + " covers element "
                        + pos);
            }
            float[][] in = ShardCodec.arrays(readShard(store, manifest, best));
            int n = (int) (Math.min(end, best.offset() + best.count()) - pos);
            for (int a = 0; a < out.length; a++) {
                System.arraycopy(in[a], (int) (pos - best.offset()), out[a], (int) (pos - offset), n);
            }
            pos += n;
        }
        return new ShardState(offset, manifest.updates(), out[0], out[1], out[2], outer ? out[3] : null,
                outer ? out[4] : null, manifest.outerSteps());
    }

    /**
     * Keeps the newest {@code keep} complete checkpoints. Older ones lose their manifest first (so they stop being
     * complete before anything else goes), then their shards. Objects of manifest-less steps older than the oldest
     * kept checkpoint are torn leftovers and go too; newer ones may be a write in progress and stay.
     *
     * @return the deleted keys, in deletion order
     */
    public static List<String> prune(CheckpointStore store, UUID jobId, int keep) throws IOException {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1, got " + keep);
        }
        Map<Long, List<String>> byStep = new TreeMap<>();
        for (String key : store.list(CheckpointKeys.jobPrefix(jobId))) {
            OptionalLong step = CheckpointKeys.stepOf(key);
            if (step.isPresent()) {
                byStep.computeIfAbsent(step.getAsLong(), s -> new ArrayList<>()).add(key);
            }
        }
        List<Long> complete = new ArrayList<>();
        byStep.forEach((step, keys) -> {
            if (keys.contains(CheckpointKeys.manifest(jobId, step))) {
                complete.add(step);
            }
        });
        List<String> deleted = new ArrayList<>();
        if (complete.isEmpty()) {
            return deleted;
        }
        int firstKept = Math.max(0, complete.size() - keep);
        long oldestKept = complete.get(firstKept);
        for (Map.Entry<Long, List<String>> e : byStep.entrySet()) {
            long step = e.getKey();
            if (step >= oldestKept) {
                break;
            }
            String manifestKey = CheckpointKeys.manifest(jobId, step);
            List<String> keys = new ArrayList<>(e.getValue());
            if (keys.remove(manifestKey)) {
                store.delete(manifestKey);
                deleted.add(manifestKey);
            }
            // shards must be below their step's prefix (writeManifest checks), so these are its shards
            for (String key : keys) {
                store.delete(key);
                deleted.add(key);
            }
        }
        return deleted;
    }

    /** Shards sorted by offset, after checking the manifest can be written. */
    static List<CheckpointManifest.Shard> validate(CheckpointManifest m) {
        if (m == null) {
            throw new IllegalArgumentException("manifest is null");
        }
        if (m.format() != CheckpointManifest.FORMAT) {
            throw new IllegalStateException("manifest format " + m.format() + ", expected "
                    + CheckpointManifest.FORMAT);
        }
        if (m.jobId() == null || m.step() < 0 || m.parameters() < 1 || m.updates() < 0 || m.outerSteps() < 0
                || (!m.outer() && m.outerSteps() != 0) || m.createdAt() == null) {
            throw new IllegalStateException("manifest needs a job id, a step >= 0, parameters >= 1, updates >= 0, "
                    + "outerSteps >= 0 (0 without outer state) and createdAt; got job " + m.jobId() + " step "
                    + m.step() + " parameters " + m.parameters() + " updates " + m.updates() + " outerSteps "
                    + m.outerSteps() + " createdAt " + m.createdAt());
        }
        if (m.shards() == null || m.shards().isEmpty()) {
            throw new IllegalStateException("manifest of step " + m.step() + " lists no shards");
        }
        String stepPrefix = CheckpointKeys.stepPrefix(m.jobId(), m.step());
        List<CheckpointManifest.Shard> shards = new ArrayList<>(m.shards());
        shards.sort(Comparator.comparingLong(CheckpointManifest.Shard::offset)
                .thenComparingLong(CheckpointManifest.Shard::count));
        long covered = 0;
        long gapEnd = -1;
        for (CheckpointManifest.Shard s : shards) {
            if (s.key() == null || !s.key().startsWith(stepPrefix)) {
                throw new IllegalStateException("shard key " + s.key() + " is not below " + stepPrefix);
            }
            if (s.offset() < 0 || s.count() < 1 || s.count() > Integer.MAX_VALUE
                    || s.offset() + s.count() > m.parameters()) {
                throw new IllegalStateException("shard " + s.key() + " range [" + s.offset() + ", +" + s.count()
                        + ") is empty or outside [0, " + m.parameters() + ")");
            }
            if (s.bytes() != ShardCodec.encodedSize((int) s.count(), m.outer())) {
                throw new IllegalStateException("shard " + s.key() + " of " + s.count() + " elements"
                        + (m.outer() ? " with" : " without") + " outer state cannot be " + s.bytes() + " bytes");
            }
            if (s.sha256() == null || !SHA256_HEX.matcher(s.sha256()).matches()) {
                throw new IllegalStateException("shard " + s.key() + " has no lower-case hex SHA-256");
            }
            if (gapEnd < 0 && s.offset() > covered) {
                gapEnd = s.offset(); // sorted by offset: nothing later can fill [covered, s.offset())
            } else if (gapEnd < 0) {
                covered = Math.max(covered, s.offset() + s.count());
            }
        }
        if (gapEnd < 0 && covered < m.parameters()) {
            gapEnd = m.parameters();
        }
        if (gapEnd >= 0) {
            throw new IllegalStateException("shards of step " + m.step() + " leave [" + covered + ", " + gapEnd
                    + ") of [0, " + m.parameters() + ") uncovered");
        }
        return List.copyOf(shards);
    }

    private static ShardState readShard(CheckpointStore store, CheckpointManifest m, CheckpointManifest.Shard s)
            throws IOException {
        String where = store.location(s.key());
        byte[] bytes = store.get(s.key()).orElseThrow(() -> new CorruptCheckpointException("shard " + where
                + " listed in the manifest of step " + m.step() + " is missing"));
        if (bytes.length != s.bytes()) {
            throw new CorruptCheckpointException("shard " + where + " has " + bytes.length + " bytes, the manifest "
                    + "says " + s.bytes());
        }
        String sha = ShardCodec.sha256Hex(bytes);
        if (!sha.equals(s.sha256())) {
            throw new CorruptCheckpointException("shard " + where + " is corrupt: SHA-256 " + sha
                    + " does not match the manifest's " + s.sha256());
        }
        ShardState state;
        try {
            state = ShardCodec.decode(bytes);
        } catch (IllegalArgumentException e) {
            throw new CorruptCheckpointException("shard " + where + ": " + e.getMessage(), e);
        }
        if (state.offset() != s.offset() || state.count() != s.count() || state.hasOuter() != m.outer()
                || state.updates() != m.updates() || state.outerSteps() != m.outerSteps()) {
            throw new CorruptCheckpointException("shard " + where + " holds [" + state.offset() + ", +"
                    + state.count() + ") updates " + state.updates() + " outer " + state.hasOuter() + "/"
                    + state.outerSteps() + "; the manifest says [" + s.offset() + ", +" + s.count() + ") updates "
                    + m.updates() + " outer " + m.outer() + "/" + m.outerSteps());
        }
        return state;
    }
}
