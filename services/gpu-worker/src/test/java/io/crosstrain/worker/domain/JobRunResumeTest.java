package io.crosstrain.worker.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.crosstrain.checkpoint.CheckpointKeys;
import io.crosstrain.checkpoint.CheckpointManifest;
import io.crosstrain.checkpoint.CheckpointStore;
import io.crosstrain.checkpoint.Checkpoints;
import io.crosstrain.checkpoint.LocalDirectoryStore;
import io.crosstrain.contracts.CheckpointShard;
import io.crosstrain.contracts.CheckpointSpec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.ResumePoint;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.SyncSpec;
import io.crosstrain.training.Corpus;
import io.crosstrain.worker.pipeline.ActivationHub;

/**
 * A whole job resumed from a checkpoint by real job runs: it must continue exactly as if it had never stopped. The
 * math is deterministic, so the resumed steps' losses and weights hashes must equal an uninterrupted run's, bit for
 * bit, whether fresh workers resume (a restart) or running ones throw their newer state away.
 */
class JobRunResumeTest {

    private static final ModelSpec MODEL = new ModelSpec(1, 16, 2, 16, 0);
    /** What a worker loads for the plan's dataset, so runs started by a {@link WorkerNode} train on the same text. */
    private static final Corpus CORPUS = Datasets.load(DatasetSpec.bundled(), Path.of("."));
    private static final int STEPS = 8;
    private static final Map<String, Set<String>> NODES = Map.of("n1", Set.of("d0"), "n2", Set.of("d1"));

    @TempDir
    Path dir;

    /** Sync DP over two whole replicas on two nodes, a hash every step, a checkpoint every 2 steps. */
    private static Plan syncPlan(UUID job) {
        return new Plan(job, 1, "sync-dp", "balanced", Plan.MEASURED, null, MODEL, DatasetSpec.bundled(), STEPS, 8,
                0.01, 7, 1, List.of("dc"), List.of(new PlanDevice("d0", "n1", "dc", "A100-80G", 0, 3, 1, 100.0, 0.0),
                        new PlanDevice("d1", "n2", "dc", "H20", 1, 5, 1, 60.0, 0.0)), null, 1, "first", false)
                .withCheckpoint(new CheckpointSpec(2, null));
    }

    /** DiLoCo over two datacenters, one node each: outer rounds (and checkpoints) after steps 3, 6 and 7. */
    private static Plan dilocoPlan(UUID job) {
        return new Plan(job, 1, "diloco", "balanced", Plan.MEASURED, null, MODEL, DatasetSpec.bundled(), 7, 8, 0.01,
                7, 2, List.of("a", "b"), List.of(new PlanDevice("d0", "n1", "a", "A100-80G", 0, 3, 1, 100.0, 0.0),
                        new PlanDevice("d1", "n2", "b", "H20", 1, 5, 1, 100.0, 0.0)), null, 1, "first", false,
                new SyncSpec(3, "fp32", 0.7, 0.5), List.of());
    }

    /** Runs of a plan, one per node, started; {@code done} counts down as each finishes. */
    private record Runs(List<JobRun> runs, CountDownLatch done) {
        void await() throws InterruptedException {
            assertThat(done.await(2, TimeUnit.MINUTES)).as("runs finished").isTrue();
        }
    }

    private static Runs start(Plan plan, InProcessRelay relay, Checkpointing checkpoints) {
        relay.plan(plan);
        List<JobRun> runs = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(NODES.size());
        NODES.forEach((node, devices) -> {
            JobRun run = new JobRun(plan, devices, CORPUS, relay, 60_000, id -> 1.0, (j, v, r) -> Optional.empty(),
                    new ActivationHub(), checkpoints);
            run.onFinished(done::countDown);
            relay.run(node, run);
            runs.add(run);
        });
        runs.forEach(JobRun::start);
        return new Runs(runs, done);
    }

    /** The job run from its first step to its last without a break. */
    private static InProcessRelay uninterrupted(Plan plan) throws InterruptedException {
        InProcessRelay relay = new InProcessRelay();
        start(plan, relay, Checkpointing.none()).await();
        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");
        return relay;
    }

    /** Runs the job until both devices reported {@code lastStep}, holding the next round, and the shards exist. */
    private static Runs runUntil(Plan plan, InProcessRelay relay, CheckpointStore store, int lastStep,
                                 long checkpointStep) {
        relay.hold = m -> m.planVersion() == plan.planVersion() && m.round() == lastStep + 1;
        Runs runs = start(plan, relay, new Checkpointing(store));
        await().atMost(Duration.ofMinutes(2)).until(() -> relay.reported("d0", lastStep)
                && relay.reported("d1", lastStep)
                && relay.shards.stream().anyMatch(s -> s.step() == checkpointStep));
        return runs;
    }

    /** What job-api does once the shards of {@code step} cover the vector: writes the manifest, last. */
    private static String manifest(CheckpointStore store, InProcessRelay relay, Plan plan, long step, int outerSteps)
            throws IOException {
        List<CheckpointShard> shards = relay.shards.stream().filter(s -> s.step() == step).toList();
        Checkpoints.writeManifest(store, new CheckpointManifest(CheckpointManifest.FORMAT, plan.jobId(), step,
                plan.planVersion(), plan.strategy(), plan.model(), CORPUS.vocabSize(),
                plan.model().parameters(CORPUS.vocabSize()), (int) step, outerSteps > 0, outerSteps,
                shards.stream().map(s -> new CheckpointManifest.Shard(s.key(), s.offset(), s.count(), s.bytes(),
                        s.sha256())).toList(), Instant.now()));
        return CheckpointKeys.manifest(plan.jobId(), step);
    }

    /** Steps {@code from..last} of the resumed version against the uninterrupted run: same loss, same weights. */
    private static void assertContinuesAsUninterrupted(InProcessRelay resumed, int version, int from,
                                                       InProcessRelay reference, int last) {
        assertThat(resumed.metrics).allMatch(m -> m.error() == null, "no device failed");
        for (String d : List.of("d0", "d1")) {
            assertThat(resumed.metrics.stream().filter(m -> m.deviceId().equals(d) && m.planVersion() == version)
                    .map(StepMetric::step).toList()).as("steps of %s under v%d", d, version)
                    .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.rangeClosed(from, last).boxed()
                            .toList());
            for (int step = from; step <= last; step++) {
                StepMetric got = resumed.metric(d, step, version);
                StepMetric want = reference.metric(d, step, 1);
                assertThat(got.loss()).as("loss of %s at step %d", d, step).isEqualTo(want.loss());
                assertThat(got.weightsHash()).as("weights of %s after step %d", d, step)
                        .isEqualTo(want.weightsHash());
            }
        }
        assertThat(resumed.metric("d0", last, version).weightsHash()).isNotNull();
    }

    @Test
    void restartedWorkersResumeFromTheCheckpointAndTrainBitIdenticallyToAnUninterruptedRun() throws Exception {
        UUID job = UUID.randomUUID();
        Plan v1 = syncPlan(job);
        InProcessRelay reference = uninterrupted(v1);

        // every node dies while step 6 is under way; the checkpoint after step 4 is the latest complete one
        LocalDirectoryStore store = new LocalDirectoryStore(dir);
        InProcessRelay crashed = new InProcessRelay();
        Runs before = runUntil(v1, crashed, store, 5, 4);
        before.runs().forEach(r -> r.stop("node lost"));
        before.await();
        String manifest = manifest(store, crashed, v1, 4, 0);

        Plan v2 = v1.next(v1.datacenters(), v1.devices(), null, 5, "resume: every node was lost", true)
                .withResume(new ResumePoint(4, manifest));
        assertThat(v2.startStep()).isEqualTo(5);
        // fresh workers, as after a restart: nothing in memory, and this plan is the first they see of the job
        InProcessRelay relay = new InProcessRelay().plan(v2);
        Map<String, WorkerNode> workers = new HashMap<>();
        NODES.forEach((node, devices) -> {
            WorkerNode w = new WorkerNode(node, List.copyOf(devices), Path.of("."), 60_000, relay,
                    (j, v, r) -> Optional.empty(), new ActivationHub(), new Checkpointing(store));
            workers.put(node, w);
            relay.node(node, (v, r, c) -> w.run(job).ifPresent(run -> run.offer(v, r, c, 0)));
        });
        workers.values().forEach(w -> assertThat(w.accept(v2)).as("a run started from the resume plan").isPresent());
        await().atMost(Duration.ofMinutes(2)).until(() -> workers.values().stream().allMatch(w -> w.runs().isEmpty()));

        assertContinuesAsUninterrupted(relay, 2, 5, reference, STEPS);
    }

    @Test
    void runningWorkersAheadOfTheCheckpointThrowTheirStateAwayAndResumeFromIt() throws Exception {
        UUID job = UUID.randomUUID();
        Plan v1 = syncPlan(job);
        InProcessRelay reference = uninterrupted(v1);

        // the devices are at step 6 when the job is resumed from the checkpoint after step 2
        LocalDirectoryStore store = new LocalDirectoryStore(dir);
        InProcessRelay relay = new InProcessRelay();
        Runs runs = runUntil(v1, relay, store, 5, 2);
        String manifest = manifest(store, relay, v1, 2, 0);
        Plan v2 = v1.next(v1.datacenters(), v1.devices(), null, 3, "resume", true)
                .withResume(new ResumePoint(2, manifest));
        relay.plan(v2);
        runs.runs().forEach(r -> assertThat(r.replan(v2)).isTrue());
        runs.await();

        assertContinuesAsUninterrupted(relay, 2, 3, reference, STEPS);
    }

    @Test
    void aResumeFromStepZeroStartsEveryDeviceFromTheSeedAgain() throws Exception {
        UUID job = UUID.randomUUID();
        Plan v1 = syncPlan(job);
        InProcessRelay reference = uninterrupted(v1);

        InProcessRelay relay = new InProcessRelay();
        Runs runs = runUntil(v1, relay, new LocalDirectoryStore(dir), 5, 4);
        Plan v2 = v1.next(v1.datacenters(), v1.devices(), null, 1, "resume from the start", true)
                .withResume(ResumePoint.fromStart());
        assertThat(v2.startStep()).isEqualTo(1);
        relay.plan(v2);
        runs.runs().forEach(r -> assertThat(r.replan(v2)).isTrue());
        runs.await();

        assertContinuesAsUninterrupted(relay, 2, 1, reference, STEPS);
    }

    @Test
    void aDilocoJobResumedFromItsCheckpointCommitsTheSameSamplesAndRestartsFromTheCheckpointedReplica()
            throws Exception {
        UUID job = UUID.randomUUID();
        Plan v1 = dilocoPlan(job);
        InProcessRelay reference = uninterrupted(v1);

        // lost during step 5: the checkpoint after the outer round of step 3 holds the outer state too
        LocalDirectoryStore store = new LocalDirectoryStore(dir);
        InProcessRelay crashed = new InProcessRelay();
        Runs before = runUntil(v1, crashed, store, 4, 3);
        before.runs().forEach(r -> r.stop("node lost"));
        before.await();
        assertThat(crashed.shards).filteredOn(s -> s.step() == 3).singleElement()
                .satisfies(s -> assertThat(s.deviceId()).isEqualTo("d0"));
        String manifest = manifest(store, crashed, v1, 3, 1);

        Plan v2 = v1.next(v1.datacenters(), v1.devices(), null, 4, "resume", true)
                .withResume(new ResumePoint(3, manifest));
        InProcessRelay relay = new InProcessRelay();
        start(v2, relay, new Checkpointing(store)).await();
        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");

        // committed samples per (step, datacenter): steps up to the checkpoint from the first run, the rest resumed
        Map<String, Integer> committed = new HashMap<>();
        crashed.metrics.stream().filter(m -> m.step() <= 3).forEach(m -> committed.put(m.step() + m.datacenter(),
                m.roundSamples()));
        relay.metrics.forEach(m -> assertThat(committed.put(m.step() + m.datacenter(), m.roundSamples()))
                .as("step %d of %s once", m.step(), m.datacenter()).isNull());
        Map<String, Integer> expected = new HashMap<>();
        reference.metrics.forEach(m -> expected.put(m.step() + m.datacenter(), m.roundSamples()));
        assertThat(committed).hasSize(7 * 2).isEqualTo(expected);
        assertThat(committed.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(7 * 8);
        // the checkpoint holds one replica: d0's. Right after an outer round every replica has its weights, so the
        // first resumed step's loss is the uninterrupted one everywhere; d0 also has its own AdamW moments back, so
        // its inner steps up to the next outer round are bit-identical. d1's datacenter kept other moments, which a
        // single replica's checkpoint does not hold: from there on the run differs, its replicas still agreeing.
        for (String d : List.of("d0", "d1")) {
            assertThat(relay.metric(d, 4, 2).loss()).as("loss of %s at step 4", d)
                    .isEqualTo(reference.metric(d, 4, 1).loss());
        }
        for (int step = 4; step <= 6; step++) {
            assertThat(relay.metric("d0", step, 2).loss()).as("loss of d0 at step %d", step)
                    .isEqualTo(reference.metric("d0", step, 1).loss());
        }
        for (int step : List.of(6, 7)) {
            assertThat(relay.metric("d0", step, 2).weightsHash()).as("replicas after the outer round of step %d", step)
                    .isNotNull().isEqualTo(relay.metric("d1", step, 2).weightsHash());
        }
    }
}
