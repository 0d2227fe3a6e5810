package io.crosstrain.worker.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.crosstrain.checkpoint.CheckpointKeys;
import io.crosstrain.checkpoint.CheckpointManifest;
import io.crosstrain.checkpoint.CheckpointStore;
import io.crosstrain.checkpoint.Checkpoints;
import io.crosstrain.checkpoint.LocalDirectoryStore;
import io.crosstrain.checkpoint.ShardCodec;
import io.crosstrain.checkpoint.ShardState;
import io.crosstrain.contracts.CheckpointShard;
import io.crosstrain.contracts.CheckpointSpec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.PlanStage;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.training.Corpus;
import io.crosstrain.training.StageRange;
import io.crosstrain.worker.pipeline.ActivationHub;

/**
 * Checkpoint shards written by real job runs into a real directory store: from one replica only, after the steps the
 * plan checkpoints, each holding exactly the state its device had after that step, and never holding training up.
 */
class JobRunCheckpointTest {

    private static final ModelSpec MODEL = new ModelSpec(1, 16, 2, 16, 0);
    private static final ModelSpec TWO_BLOCKS = new ModelSpec(2, 16, 2, 16, 0);
    private static final Corpus CORPUS = Corpus.of("The quick brown fox jumps over the lazy dog. ".repeat(200));

    @TempDir
    Path dir;

    /** Two whole replicas on two nodes; a hash every step, a checkpoint every {@code every} steps. */
    static Plan twoReplicas(UUID job, int steps, int every) {
        return new Plan(job, 1, "sync-dp", "balanced", Plan.MEASURED, null, MODEL, DatasetSpec.bundled(), steps, 8,
                0.01, 7, 1, List.of("dc"), List.of(new PlanDevice("d0", "n1", "dc", "A100-80G", 0, 3, 1, 100.0, 0.0),
                        new PlanDevice("d1", "n2", "dc", "H20", 1, 5, 1, 60.0, 0.0)), null, 1, "first", false)
                .withCheckpoint(new CheckpointSpec(every, null));
    }

    /** Starts one run per node of the plan, each node with its own checkpoint uploads; returns them. */
    static List<JobRun> start(Plan plan, InProcessRelay relay, CheckpointStore store, Map<String, Set<String>> nodes) {
        relay.plan(plan);
        List<JobRun> runs = new java.util.ArrayList<>();
        for (Map.Entry<String, Set<String>> node : nodes.entrySet()) {
            ActivationHub hub = new ActivationHub();
            relay.partitions.put(Topics.activationPartition(node.getKey()), hub);
            JobRun run = new JobRun(plan, node.getValue(), CORPUS, relay, 60_000, id -> 1.0,
                    (j, v, r) -> Optional.empty(), hub, new Checkpointing(store));
            relay.run(node.getKey(), run);
            runs.add(run);
        }
        runs.forEach(JobRun::start);
        return runs;
    }

    /** SHA-256 of float32 weights, little-endian: how a device hashes its weights for its step metric. */
    static String weightsHash(float[] weights) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(weights.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(weights);
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
    }

    static ShardState stored(CheckpointStore store, CheckpointShard shard) throws IOException {
        byte[] bytes = store.get(shard.key()).orElseThrow();
        assertThat(bytes).hasSize((int) shard.bytes());
        assertThat(ShardCodec.sha256Hex(bytes)).as("sha256 of %s", shard.key()).isEqualTo(shard.sha256());
        return ShardCodec.decode(bytes);
    }

    @Test
    void twoWholeReplicasCheckpointEveryOtherStepAndTheLastFromTheLowestRankedReplicaOnly() throws Exception {
        UUID job = UUID.randomUUID();
        LocalDirectoryStore store = new LocalDirectoryStore(dir);
        InProcessRelay relay = new InProcessRelay();
        int steps = 5;
        start(twoReplicas(job, steps, 2), relay, store, Map.of("n1", Set.of("d0"), "n2", Set.of("d1")));
        await().atMost(Duration.ofMinutes(2)).until(() -> relay.reported("d0", steps) && relay.reported("d1", steps)
                && relay.shards.size() >= 3);

        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");
        long total = MODEL.parameters(CORPUS.vocabSize());
        assertThat(relay.shards).extracting(CheckpointShard::step).containsExactlyInAnyOrder(2L, 4L, 5L);
        for (CheckpointShard shard : relay.shards) {
            assertThat(shard.jobId()).isEqualTo(job);
            assertThat(shard.deviceId()).as("the replica of rank 0 writes").isEqualTo("d0");
            assertThat(shard.planVersion()).isEqualTo(1);
            assertThat(shard.offset()).isZero();
            assertThat(shard.count()).isEqualTo(total);
            assertThat(shard.total()).isEqualTo(total);
            assertThat(shard.key()).isEqualTo(CheckpointKeys.shard(job, shard.step(), 0, total));
            assertThat(shard.pauseMillis()).isNotNegative();
            assertThat(shard.uploadMillis()).isNotNegative();
            // the shard is the replicas' state after its step: weights as both reported, AdamW's update count
            ShardState state = stored(store, shard);
            int step = (int) shard.step();
            assertThat(state.updates()).isEqualTo(step);
            assertThat(state.hasOuter()).isFalse();
            String hash = weightsHash(state.weights());
            assertThat(hash).as("weights after step %d", step)
                    .isEqualTo(relay.metric("d0", step, 1).weightsHash())
                    .isEqualTo(relay.metric("d1", step, 1).weightsHash());
        }
        assertThat(store.list(CheckpointKeys.jobPrefix(job))).as("shards only: job-api writes the manifest")
                .containsExactlyInAnyOrder(CheckpointKeys.shard(job, 2, 0, total),
                        CheckpointKeys.shard(job, 4, 0, total), CheckpointKeys.shard(job, 5, 0, total));
    }

    private static PlanDevice stage(String id, String node, int index, String previous, String next) {
        int vocab = CORPUS.vocabSize();
        StageRange range = StageRange.of(TWO_BLOCKS, index, index);
        return new PlanDevice(id, node, "dc", "A100-80G", index, 8, 4, 100.0, 0.0, null, "dc-r0",
                new PlanStage(index, 2, index, index, range.parameterOffset(TWO_BLOCKS, vocab),
                        range.parameterCount(TWO_BLOCKS, vocab), previous, next, 2, 0, 0, 0, 1, 2));
    }

    @Test
    void aPipelinedReplicaWritesOneShardPerStageAndTogetherTheyMakeACompleteCheckpoint() throws Exception {
        UUID job = UUID.randomUUID();
        LocalDirectoryStore store = new LocalDirectoryStore(dir);
        InProcessRelay relay = new InProcessRelay();
        int steps = 4;
        Plan plan = new Plan(job, 1, "sync-dp", "balanced", Plan.MEASURED, null, TWO_BLOCKS, DatasetSpec.bundled(),
                steps, 8, 3e-3, 7L, 1, List.of("dc"), List.of(stage("d0", "n0", 0, null, "d1"),
                        stage("d1", "n1", 1, "d0", null)), null).withCheckpoint(new CheckpointSpec(2, null));
        start(plan, relay, store, Map.of("n0", Set.of("d0"), "n1", Set.of("d1")));
        await().atMost(Duration.ofMinutes(2)).until(() -> relay.reported("d0", steps) && relay.reported("d1", steps)
                && relay.shards.size() >= 4);

        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");
        int vocab = CORPUS.vocabSize();
        long total = TWO_BLOCKS.parameters(vocab);
        long split = StageRange.of(TWO_BLOCKS, 1, 1).parameterOffset(TWO_BLOCKS, vocab);
        for (long step : List.of(2L, 4L)) {
            List<CheckpointShard> ofStep = relay.shards.stream().filter(s -> s.step() == step)
                    .sorted(java.util.Comparator.comparingLong(CheckpointShard::offset)).toList();
            assertThat(ofStep).extracting(CheckpointShard::deviceId).containsExactly("d0", "d1");
            assertThat(ofStep).extracting(CheckpointShard::offset).containsExactly(0L, split);
            assertThat(ofStep).extracting(CheckpointShard::count).containsExactly(split, total - split);
            for (CheckpointShard shard : ofStep) {
                assertThat(weightsHash(stored(store, shard).weights())).as("%s after step %d", shard.deviceId(), step)
                        .isEqualTo(relay.metric(shard.deviceId(), (int) step, 1).weightsHash());
            }
            // what job-api does once the shards cover the vector: the manifest, then any range reads back
            CheckpointManifest manifest = Checkpoints.writeManifest(store, new CheckpointManifest(
                    CheckpointManifest.FORMAT, job, step, 1, "sync-dp", TWO_BLOCKS, vocab, total, (int) step, false, 0,
                    ofStep.stream().map(s -> new CheckpointManifest.Shard(s.key(), s.offset(), s.count(), s.bytes(),
                            s.sha256())).toList(), Instant.now()));
            ShardState whole = Checkpoints.range(store, manifest, 0, (int) total);
            assertThat(whole.updates()).isEqualTo((int) step);
            assertThat(java.util.Arrays.copyOfRange(whole.weights(), (int) split, (int) total))
                    .isEqualTo(stored(store, ofStep.get(1)).weights());
        }
    }

    /**
     * A layout change through a checkpoint: the shards two stages wrote after step 2 resume a whole replica, which
     * reads its range across both. It trains on as a whole replica that never stopped does (the stages summed their
     * micro-batches in another order: equal up to fp32 noise).
     */
    @Test
    void aCheckpointWrittenByTwoStagesResumesAWholeReplica() throws Exception {
        UUID job = UUID.randomUUID();
        LocalDirectoryStore store = new LocalDirectoryStore(dir);
        int steps = 4;
        PlanDevice whole = new PlanDevice("d0", "n0", "dc", "A100-80G", 0, 8, 1, 100.0, 0.0);
        Plan staged = new Plan(job, 1, "sync-dp", "balanced", Plan.MEASURED, null, TWO_BLOCKS, DatasetSpec.bundled(),
                steps, 8, 3e-3, 7L, 1, List.of("dc"), List.of(stage("d0", "n0", 0, null, "d1"),
                        stage("d1", "n1", 1, "d0", null)), null).withCheckpoint(new CheckpointSpec(2, null));
        InProcessRelay reference = new InProcessRelay();
        start(new Plan(job, 1, "sync-dp", "balanced", Plan.MEASURED, null, TWO_BLOCKS, DatasetSpec.bundled(), steps,
                8, 3e-3, 7L, 1, List.of("dc"), List.of(whole), null), reference,
                new LocalDirectoryStore(dir.resolve("reference")), Map.of("n0", Set.of("d0")));

        InProcessRelay crashed = new InProcessRelay();
        crashed.hold = m -> m.round() == 4;
        List<JobRun> lost = start(staged, crashed, store, Map.of("n0", Set.of("d0"), "n1", Set.of("d1")));
        await().atMost(Duration.ofMinutes(2)).until(() -> crashed.reported("d1", 3)
                && crashed.shards.stream().filter(s -> s.step() == 2).count() == 2);
        lost.forEach(r -> r.stop("node lost"));
        int vocab = CORPUS.vocabSize();
        long total = TWO_BLOCKS.parameters(vocab);
        Checkpoints.writeManifest(store, new CheckpointManifest(CheckpointManifest.FORMAT, job, 2, 1, "sync-dp",
                TWO_BLOCKS, vocab, total, 2, false, 0, crashed.shards.stream().filter(s -> s.step() == 2)
                .map(s -> new CheckpointManifest.Shard(s.key(), s.offset(), s.count(), s.bytes(), s.sha256()))
                .toList(), Instant.now()));

        Plan resumed = staged.next(List.of("dc"), List.of(whole), null, 3, "resume as a whole replica", true)
                .withResume(new io.crosstrain.contracts.ResumePoint(2, CheckpointKeys.manifest(job, 2)));
        InProcessRelay relay = new InProcessRelay();
        start(resumed, relay, store, Map.of("n0", Set.of("d0")));
        await().atMost(Duration.ofMinutes(2)).until(() -> relay.reported("d0", steps)
                && reference.reported("d0", steps));

        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");
        assertThat(relay.metrics).extracting(StepMetric::step).containsExactlyInAnyOrder(3, 4);
        for (int step = 3; step <= steps; step++) {
            assertThat(relay.metric("d0", step, 2).loss()).as("loss at step %d", step).isCloseTo(
                    reference.metric("d0", step, 1).loss(), org.assertj.core.api.Assertions.withinPercentage(0.01));
        }
    }

    /** A directory store whose writes wait until the test releases them. */
    private static final class HeldStore implements CheckpointStore {
        final LocalDirectoryStore delegate;
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger started = new AtomicInteger();

        HeldStore(Path dir) {
            delegate = new LocalDirectoryStore(dir);
        }

        @Override
        public void put(String key, InputStream data, long length) throws IOException {
            started.incrementAndGet();
            try {
                if (!release.await(2, TimeUnit.MINUTES)) {
                    throw new IOException("never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            delegate.put(key, data, length);
        }

        @Override
        public Optional<InputStream> open(String key) throws IOException {
            return delegate.open(key);
        }

        @Override
        public List<String> list(String prefix) throws IOException {
            return delegate.list(prefix);
        }

        @Override
        public void delete(String key) throws IOException {
            delegate.delete(key);
        }

        @Override
        public String location(String key) {
            return delegate.location(key);
        }
    }

    @Test
    void theWritingDeviceTrainsOnWhileItsUploadIsStuck() throws Exception {
        UUID job = UUID.randomUUID();
        HeldStore store = new HeldStore(dir);
        InProcessRelay relay = new InProcessRelay();
        int steps = 5;
        start(twoReplicas(job, steps, 2), relay, store, Map.of("n1", Set.of("d0"), "n2", Set.of("d1")));

        // the upload after step 2 hangs, and the writer still finishes every later step
        await().atMost(Duration.ofMinutes(2)).until(() -> relay.reported("d0", steps));
        assertThat(store.started.get()).as("uploads begun").isPositive();
        assertThat(relay.shards).as("nothing announced before it is stored").isEmpty();
        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");
        store.release.countDown();
        await().atMost(Duration.ofMinutes(1)).until(() -> relay.shards.size() == 3);
        assertThat(relay.shards).extracting(CheckpointShard::step).containsExactlyInAnyOrder(2L, 4L, 5L);
        assertThat(relay.metrics.stream().filter(m -> m.deviceId().equals("d0")).map(StepMetric::step).toList())
                .containsExactlyInAnyOrder(1, 2, 3, 4, 5);
    }
}
