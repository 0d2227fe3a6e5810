package io.crosstrain.worker.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;

import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.TensorAssembler;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.training.Corpus;

/**
 * Plan switches inside one node's run, with real DJL training and an in-test relay standing in for Kafka: every step
 * is applied exactly once, whichever version it ran under, and the replicas stay identical.
 */
class JobRunTest {

    private static final ModelSpec MODEL = new ModelSpec(1, 16, 2, 16, 0);
    private static final Corpus CORPUS = Corpus.of("The quick brown fox jumps over the lazy dog. ".repeat(200));
    private static final Set<String> NODE_DEVICES = Set.of("d0", "d1");

    /** Averages the node's contribution of a round and hands it back, unless the round is held. */
    private static final class LoopbackRelay implements JobRun.Outbox {
        final List<StepMetric> metrics = new CopyOnWriteArrayList<>();
        final Map<String, TensorAssembler> open = new ConcurrentHashMap<>();
        final Set<String> contributed = ConcurrentHashMap.newKeySet();
        volatile Predicate<ChunkMeta> hold = m -> false;
        volatile JobRun run;
        /** Round of version 1 whose contribution waits for {@link #open} (so the test acts at a known step). */
        volatile long gatedRound = -1;
        final CountDownLatch gate = new CountDownLatch(1);

        void open() {
            gate.countDown();
        }

        @Override
        public void sendGradient(String topic, String key, byte[] bytes) {
            ChunkMeta peek = TensorCodec.peekMeta(bytes);
            if (peek.planVersion() == 1 && peek.round() == gatedRound) {
                try {
                    gate.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            relay(bytes);
        }

        private synchronized void relay(byte[] bytes) {
            Chunk chunk = TensorCodec.decode(bytes);
            ChunkMeta meta = chunk.meta();
            String id = meta.planVersion() + ":" + meta.round();
            contributed.add(id);
            if (hold.test(meta)) {
                return;
            }
            TensorAssembler assembler = open.computeIfAbsent(id, k -> new TensorAssembler());
            assembler.accept(chunk);
            if (assembler.complete()) {
                open.remove(id);
                float[] avg = assembler.values();
                for (int i = 0; i < avg.length; i++) {
                    avg[i] /= meta.sampleCount();
                }
                ChunkMeta down = meta.withSender("relay-dc");
                for (byte[] c : TensorCodec.encode(down, avg)) {
                    run.offer(meta.planVersion(), meta.round(), TensorCodec.view(c), 0);
                }
            }
        }

        @Override
        public void publishMetric(StepMetric metric) {
            metrics.add(metric);
        }

        boolean reported(String device, int step) {
            return metrics.stream().anyMatch(m -> m.deviceId().equals(device) && m.step() == step);
        }
    }

    /**
     * Two nodes: sums the contributions of every node a version names (in node order), hands the average to every
     * run, and keeps what goes to the model-state topic so a joining node can read it.
     */
    private static final class TwoNodeRelay implements JobRun.Outbox {
        final List<StepMetric> metrics = new CopyOnWriteArrayList<>();
        final List<byte[]> modelState = new CopyOnWriteArrayList<>();
        final Map<String, Map<String, TensorAssembler>> open = new HashMap<>();
        final Map<Integer, List<String>> nodesOfVersion = new ConcurrentHashMap<>();
        final List<JobRun> runs = new CopyOnWriteArrayList<>();

        @Override
        public synchronized void sendGradient(String topic, String key, byte[] bytes) {
            if (topic.equals(io.crosstrain.contracts.Topics.MODEL_STATE)) {
                modelState.add(bytes);
                return;
            }
            Chunk chunk = TensorCodec.decode(bytes);
            ChunkMeta meta = chunk.meta();
            Map<String, TensorAssembler> bySender = open.computeIfAbsent(meta.planVersion() + ":" + meta.round(),
                    k -> new java.util.TreeMap<>());
            bySender.computeIfAbsent(meta.sender(), k -> new TensorAssembler()).accept(chunk);
            List<String> nodes = nodesOfVersion.get(meta.planVersion());
            if (bySender.size() < nodes.size() || !bySender.values().stream().allMatch(TensorAssembler::complete)) {
                return;
            }
            open.remove(meta.planVersion() + ":" + meta.round());
            float[] sum = null;
            for (String node : nodes) {
                float[] v = bySender.get(node).values();
                if (sum == null) {
                    sum = v;
                } else {
                    for (int i = 0; i < sum.length; i++) {
                        sum[i] += v[i];
                    }
                }
            }
            int samples = 8;
            for (int i = 0; i < sum.length; i++) {
                sum[i] /= samples;
            }
            for (byte[] c : TensorCodec.encode(meta.withSender("relay-dc"), sum)) {
                runs.forEach(r -> r.offer(meta.planVersion(), meta.round(), TensorCodec.view(c), 0));
            }
        }

        @Override
        public void publishMetric(StepMetric metric) {
            metrics.add(metric);
        }

        boolean reported(String device, int step) {
            return metrics.stream().anyMatch(m -> m.deviceId().equals(device) && m.step() == step);
        }

        /** What {@code ModelStateReader} does against Kafka: wait until the wanted state is complete. */
        java.util.Optional<io.crosstrain.training.DeviceTrainer.State> await(UUID job, int version, long round) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                ModelStateCodec.Assembler a = new ModelStateCodec.Assembler(job, round);
                modelState.forEach(a::accept);
                if (a.complete()) {
                    return java.util.Optional.of(a.state());
                }
                LockSupportSleep.millis(20);
            }
            return java.util.Optional.empty();
        }
    }

    /** Where a relay hands a round's average: a run, or whatever run a node has for the job. */
    @FunctionalInterface
    private interface Receiver {
        void offer(int planVersion, long round, io.crosstrain.codec.ChunkView chunk, boolean stop);
    }

    /**
     * One datacenter's relay over several nodes, as the real one: once every node of the plan contributed a round, the
     * sum (in node order) divided by the global batch goes to every node, marked with the stop request when any
     * contribution carried it ({@link io.crosstrain.contracts.RoundStop}).
     */
    private static final class StopRelay implements JobRun.Outbox {
        final List<StepMetric> metrics = new CopyOnWriteArrayList<>();
        final List<String> nodes;
        final int globalBatch;
        final Map<String, Map<String, TensorAssembler>> open = new HashMap<>();
        final Map<String, Boolean> marks = new HashMap<>();
        final List<Receiver> receivers = new CopyOnWriteArrayList<>();
        final Set<Long> markedRounds = ConcurrentHashMap.newKeySet();
        final Set<Long> requestedRounds = ConcurrentHashMap.newKeySet();

        StopRelay(List<String> nodes, int globalBatch) {
            this.nodes = nodes;
            this.globalBatch = globalBatch;
        }

        @Override
        public void sendGradient(String topic, String key, byte[] bytes) {
            sendGradient(topic, key, bytes, 0L, false);
        }

        @Override
        public synchronized void sendGradient(String topic, String key, byte[] bytes, long readyAtMs, boolean stop) {
            if (topic.equals(io.crosstrain.contracts.Topics.MODEL_STATE)) {
                return;
            }
            Chunk chunk = TensorCodec.decode(bytes);
            ChunkMeta meta = chunk.meta();
            String id = meta.planVersion() + ":" + meta.round();
            if (stop) {
                requestedRounds.add(meta.round());
            }
            marks.merge(id, stop, Boolean::logicalOr);
            Map<String, TensorAssembler> bySender = open.computeIfAbsent(id, k -> new java.util.TreeMap<>());
            bySender.computeIfAbsent(meta.sender(), k -> new TensorAssembler()).accept(chunk);
            if (bySender.size() < nodes.size() || !bySender.values().stream().allMatch(TensorAssembler::complete)) {
                return;
            }
            open.remove(id);
            boolean mark = marks.remove(id);
            float[] sum = null;
            for (String node : nodes) {
                float[] v = bySender.get(node).values();
                if (sum == null) {
                    sum = v;
                } else {
                    for (int i = 0; i < sum.length; i++) {
                        sum[i] += v[i];
                    }
                }
            }
            for (int i = 0; i < sum.length; i++) {
                sum[i] /= globalBatch;
            }
            if (mark) {
                markedRounds.add(meta.round());
            }
            for (byte[] c : TensorCodec.encode(meta.withSender("relay-dc"), sum)) {
                receivers.forEach(r -> r.offer(meta.planVersion(), meta.round(), TensorCodec.view(c), mark));
            }
        }

        @Override
        public void publishMetric(StepMetric metric) {
            metrics.add(metric);
        }

        boolean reported(String device, int step) {
            return metrics.stream().anyMatch(m -> m.deviceId().equals(device) && m.step() == step);
        }
    }

    /** Two nodes, three devices, one job; a plan like {@link #plan} but over nodes n1 (d0, d1) and n2 (d2). */
    private static Plan twoNodePlan(UUID job, int steps) {
        List<PlanDevice> devices = List.of(new PlanDevice("d0", "n1", "dc", "A100-80G", 0, 3, 1, 100.0, 0.0),
                new PlanDevice("d1", "n1", "dc", "A100-80G", 1, 2, 1, 100.0, 0.0),
                new PlanDevice("d2", "n2", "dc", "H20", 2, 3, 1, 60.0, 0.0));
        return new Plan(job, 1, "sync-dp", "balanced", Plan.MEASURED, null, MODEL, DatasetSpec.bundled(), steps, 8,
                0.01, 7, 2, List.of("dc"), devices, null, 1, "first", false);
    }

    @Test
    void aCancelMidJobStopsEveryReplicaAfterTheSameCommittedRoundEvenWhereTheRequestNeverArrived()
            throws Exception {
        UUID job = UUID.randomUUID();
        int steps = 40;
        StopRelay relay = new StopRelay(List.of("n1", "n2"), 8);
        Plan plan = twoNodePlan(job, steps);
        JobRun n1 = new JobRun(plan, Set.of("d0", "d1"), CORPUS, relay, 30_000, id -> 1.0);
        JobRun n2 = new JobRun(plan, Set.of("d2"), CORPUS, relay, 30_000, id -> 1.0);
        relay.receivers.add((v, r, c, stop) -> n1.offer(v, r, c, 0, 0, stop));
        relay.receivers.add((v, r, c, stop) -> n2.offer(v, r, c, 0, 0, stop));
        CountDownLatch done1 = runToEnd(n1);
        CountDownLatch done2 = runToEnd(n2);

        await().atMost(Duration.ofSeconds(60)).until(() -> relay.reported("d0", 3) && relay.reported("d2", 3));
        // only node n1 saw the job go to CANCELLING: n2 stops all the same, after the same round
        assertThat(n1.requestStop("test cancel")).isTrue();
        assertThat(n1.requestStop("again")).as("a second request").isFalse();
        assertThat(done1.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(done2.await(60, TimeUnit.SECONDS)).isTrue();

        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");
        long stopStep = relay.markedRounds.stream().mapToLong(Long::longValue).min().orElseThrow();
        assertThat(relay.markedRounds).as("one marked round is enough").containsExactly(stopStep);
        assertThat(stopStep).isGreaterThan(3).isLessThan(steps);
        assertThat(relay.requestedRounds).as("only n1 asked").allMatch(r -> r == stopStep);
        assertStoppedTogether(relay.metrics, List.of("d0", "d1", "d2"), (int) stopStep);
        assertThat(n1.stoppedAfter()).isEqualTo(stopStep);
        assertThat(n2.stoppedAfter()).isEqualTo(stopStep);
        assertThat(n2.stopRequested()).isFalse();
        Map<Integer, Integer> batchPerStep = new HashMap<>();
        relay.metrics.forEach(m -> batchPerStep.merge(m.step(), m.batch(), Integer::sum));
        assertThat(batchPerStep).hasSize((int) stopStep).allSatisfy((step, batch) -> assertThat(batch).isEqualTo(8));
    }

    @Test
    void requestsSeenAtDifferentStepsOnEachNodeStillEndEveryReplicaAtOneStep() throws Exception {
        UUID job = UUID.randomUUID();
        int steps = 40;
        StopRelay relay = new StopRelay(List.of("n1", "n2"), 8);
        Plan plan = twoNodePlan(job, steps);
        JobRun n1 = new JobRun(plan, Set.of("d0", "d1"), CORPUS, relay, 30_000, id -> 1.0);
        JobRun n2 = new JobRun(plan, Set.of("d2"), CORPUS, relay, 30_000, id -> 1.0);
        relay.receivers.add((v, r, c, stop) -> n1.offer(v, r, c, 0, 0, stop));
        relay.receivers.add((v, r, c, stop) -> n2.offer(v, r, c, 0, 0, stop));
        CountDownLatch done1 = runToEnd(n1);
        CountDownLatch done2 = runToEnd(n2);

        await().atMost(Duration.ofSeconds(60)).until(() -> relay.reported("d2", 2));
        n2.requestStop("n2 sees the event first");
        LockSupportSleep.millis(15);
        n1.requestStop("n1 sees it a little later");
        assertThat(done1.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(done2.await(60, TimeUnit.SECONDS)).isTrue();

        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");
        assertThat(relay.markedRounds).hasSize(1);
        int stopStep = relay.markedRounds.iterator().next().intValue();
        assertThat(stopStep).isLessThan(steps);
        assertStoppedTogether(relay.metrics, List.of("d0", "d1", "d2"), stopStep);
    }

    @Test
    void aNodeThatLearnsOfTheCancelBeforeThePlanStartsWithTheRequestAndACancelForAnotherJobChangesNothing()
            throws Exception {
        UUID job = UUID.randomUUID();
        UUID other = UUID.randomUUID();
        int steps = 6;
        StopRelay relay = new StopRelay(List.of("n1", "n2"), 8);
        Plan plan = twoNodePlan(job, steps);
        WorkerNode node1 = new WorkerNode("n1", List.of("d0", "d1"), java.nio.file.Path.of("."), 30_000, relay);
        WorkerNode node2 = new WorkerNode("n2", List.of("d2"), java.nio.file.Path.of("."), 30_000, relay);
        relay.receivers.add((v, r, c, stop) -> node1.run(job).ifPresent(run -> run.offer(v, r, c, 0, 0, stop)));
        relay.receivers.add((v, r, c, stop) -> node2.run(job).ifPresent(run -> run.offer(v, r, c, 0, 0, stop)));

        // another job's cancel and end on both nodes, before and while this job runs: nothing happens to it
        assertThat(node1.onJobState(other, io.crosstrain.contracts.JobState.CANCELLING, "other")).isFalse();
        JobRun run1 = node1.accept(plan).orElseThrow();
        JobRun run2 = node2.accept(plan).orElseThrow();
        await().atMost(Duration.ofSeconds(60)).until(() -> relay.reported("d2", 2));
        assertThat(node2.onJobState(other, io.crosstrain.contracts.JobState.CANCELLING, "other")).isFalse();
        assertThat(node2.onJobState(other, io.crosstrain.contracts.JobState.FAILED, "other")).isFalse();
        assertThat(node1.onJobState(job, io.crosstrain.contracts.JobState.RUNNING, null)).isFalse();
        // the node forgets a run once it finished
        await().atMost(Duration.ofSeconds(60)).until(() -> node1.runs().isEmpty() && node2.runs().isEmpty());
        assertThat(run1.stopRequested() || run2.stopRequested()).isFalse();
        assertThat(relay.markedRounds).isEmpty();
        assertStoppedTogether(relay.metrics, List.of("d0", "d1", "d2"), steps);

        // a job cancelled before its plan reached a node (a worker that started after the event): the node starts
        // with the request, so every replica ends after the very first round, the others having run it too
        UUID late = UUID.randomUUID();
        StopRelay relay2 = new StopRelay(List.of("n1", "n2"), 8);
        WorkerNode m1 = new WorkerNode("n1", List.of("d0", "d1"), java.nio.file.Path.of("."), 30_000, relay2);
        WorkerNode m2 = new WorkerNode("n2", List.of("d2"), java.nio.file.Path.of("."), 30_000, relay2);
        relay2.receivers.add((v, r, c, stop) -> m1.run(late).ifPresent(run -> run.offer(v, r, c, 0, 0, stop)));
        relay2.receivers.add((v, r, c, stop) -> m2.run(late).ifPresent(run -> run.offer(v, r, c, 0, 0, stop)));
        assertThat(m2.onJobState(late, io.crosstrain.contracts.JobState.CANCELLING, "user")).isFalse();
        Plan latePlan = twoNodePlan(late, 30);
        JobRun l1 = m1.accept(latePlan).orElseThrow();
        JobRun l2 = m2.accept(latePlan).orElseThrow();
        assertThat(l2.stopRequested()).isTrue();
        assertThat(l1.stopRequested()).isFalse();
        await().atMost(Duration.ofSeconds(60)).until(() -> m1.runs().isEmpty() && m2.runs().isEmpty());
        assertThat(relay2.markedRounds).containsExactly(1L);
        assertStoppedTogether(relay2.metrics, List.of("d0", "d1", "d2"), 1);

        // once the job is over, a plan of it is not started again
        assertThat(m1.onJobState(late, io.crosstrain.contracts.JobState.CANCELLED, "all stopped")).isFalse();
        assertThat(m1.accept(latePlan.next(List.of("dc"), latePlan.devices(), null, 2, "late re-plan", false)))
                .isEmpty();
        assertThat(m1.runs()).isEmpty();
    }

    /**
     * Every device reported each step 1..{@code lastStep} once and nothing after it; its last metric says last, with a
     * weights hash, and every replica's hash there is the same.
     */
    private static void assertStoppedTogether(List<StepMetric> metrics, List<String> devices, int lastStep) {
        for (String d : devices) {
            List<StepMetric> mine = metrics.stream().filter(m -> m.deviceId().equals(d)).toList();
            assertThat(mine).as("steps of %s", d).extracting(StepMetric::step)
                    .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.rangeClosed(1, lastStep).boxed()
                            .toList());
            StepMetric last = mine.stream().filter(m -> m.step() == lastStep).findFirst().orElseThrow();
            assertThat(last.last()).as("%s's step %d is its last", d, lastStep).isTrue();
            assertThat(last.weightsHash()).as("hash of %s at its last step", d).isNotNull();
            assertThat(mine.stream().filter(StepMetric::last)).as("one last metric of %s", d).hasSize(1);
        }
        assertThat(metrics.stream().filter(StepMetric::last).map(StepMetric::weightsHash).distinct())
                .as("replicas identical after step %d", lastStep).hasSize(1);
    }

    private static final class LockSupportSleep {
        static void millis(long ms) {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ms));
        }
    }

    @Test
    void aDeviceOnAnotherNodeJoinsWithThePublishedStateAndStaysBitIdentical() throws Exception {
        UUID job = UUID.randomUUID();
        TwoNodeRelay relay = new TwoNodeRelay();
        relay.nodesOfVersion.put(1, List.of("n1"));
        relay.nodesOfVersion.put(2, List.of("n1", "n2"));
        Plan v1 = new Plan(job, 1, "sync-dp", "balanced", Plan.MEASURED, null, MODEL, DatasetSpec.bundled(), 8, 8,
                0.01, 7, 2, List.of("dc"), List.of(new PlanDevice("d0", "n1", "dc", "A100-80G", 0, 8, 1, 100.0, 0.0)),
                null, 1, "first", false);
        // the node's contribution of round 3 waits until version 2 is known everywhere
        CountDownLatch gate = new CountDownLatch(1);
        JobRun.Outbox gated = new JobRun.Outbox() {
            @Override
            public void sendGradient(String topic, String key, byte[] chunk) {
                ChunkMeta m = TensorCodec.peekMeta(chunk);
                if (!topic.equals(io.crosstrain.contracts.Topics.MODEL_STATE) && m.planVersion() == 1
                        && m.round() == 3) {
                    try {
                        gate.await(60, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                relay.sendGradient(topic, key, chunk);
            }

            @Override
            public void publishMetric(StepMetric metric) {
                relay.publishMetric(metric);
            }
        };
        JobRun first = new JobRun(v1, Set.of("d0"), CORPUS, gated, 30_000, id -> 1.0);
        relay.runs.add(first);
        CountDownLatch firstDone = runToEnd(first);
        await().atMost(Duration.ofSeconds(60)).until(() -> relay.reported("d0", 2));

        // two devices join on node n2: the first loads the published state, the second copies it on the node
        Plan v2 = v1.next(List.of("dc"), List.of(new PlanDevice("d0", "n1", "dc", "A100-80G", 0, 4, 1, 100.0, 0.0),
                new PlanDevice("d1", "n2", "dc", "H20", 1, 2, 1, 60.0, 0.0),
                new PlanDevice("d2", "n2", "dc", "H20", 2, 2, 1, 60.0, 0.0)), null, 5, "elastic: d1, d2 joined",
                false);
        assertThat(first.replan(v2)).isTrue();
        JobRun joiner = new JobRun(v2, Set.of("d1", "d2"), CORPUS, relay, 30_000, id -> 1.0, relay::await);
        relay.runs.add(joiner);
        CountDownLatch joinerDone = runToEnd(joiner);
        gate.countDown();
        assertThat(firstDone.await(120, TimeUnit.SECONDS)).isTrue();
        assertThat(joinerDone.await(120, TimeUnit.SECONDS)).isTrue();

        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");
        assertThat(relay.metrics.stream().filter(m -> m.deviceId().equals("d1")).mapToInt(StepMetric::step).min())
                .hasValue(5);
        Map<Integer, Integer> batchPerStep = new HashMap<>();
        relay.metrics.forEach(m -> batchPerStep.merge(m.step(), m.batch(), Integer::sum));
        assertThat(batchPerStep.values()).hasSize(8).containsOnly(8);
        assertThat(relay.metrics.stream().filter(m -> m.step() == 8).map(StepMetric::weightsHash).distinct()
                .toList()).hasSize(1).doesNotContainNull();
    }

    private static Plan plan(UUID job, int version, int steps, int startStep, int... batches) {
        List<PlanDevice> devices = new ArrayList<>();
        int g = 0;
        for (int i = 0; i < batches.length; i++) {
            devices.add(new PlanDevice("d" + i, "n1", "dc", "A100-80G", i, batches[i], 1, 100.0, 0.0));
            g += batches[i];
        }
        return new Plan(job, version, "sync-dp", "balanced", Plan.MEASURED, null, MODEL, DatasetSpec.bundled(), steps,
                g, 0.01, 7, 2, List.of("dc"), devices, null, startStep, "test v" + version, false);
    }

    private static CountDownLatch runToEnd(JobRun run) {
        CountDownLatch done = new CountDownLatch(1);
        run.onFinished(done::countDown);
        run.start();
        return done;
    }

    @Test
    void aRebalanceAnnouncedAheadTakesOverAtItsStartStepWithoutLosingAStep() throws Exception {
        UUID job = UUID.randomUUID();
        LoopbackRelay relay = new LoopbackRelay();
        relay.gatedRound = 3;
        JobRun run = new JobRun(plan(job, 1, 8, 1, 3, 5), NODE_DEVICES, CORPUS, relay, 30_000, id -> 1.0);
        relay.run = run;
        CountDownLatch done = runToEnd(run);

        await().atMost(Duration.ofSeconds(60)).until(() -> relay.reported("d0", 2) && relay.reported("d1", 2));
        assertThat(run.replan(plan(job, 2, 8, 5, 6, 2))).isTrue();
        assertThat(run.replan(plan(job, 2, 8, 5, 6, 2))).as("a version seen before").isFalse();
        relay.open();
        assertThat(done.await(120, TimeUnit.SECONDS)).isTrue();

        assertEveryStepOnce(relay.metrics, 8, 8);
        for (StepMetric m : relay.metrics) {
            int expectedVersion = m.step() < 5 ? 1 : 2;
            assertThat(m.planVersion()).as("version of step %d", m.step()).isEqualTo(expectedVersion);
        }
        assertReplicasIdentical(relay.metrics, 8);
    }

    @Test
    void aStalledRoundIsRedoneUnderTheRecoveryPlan() throws Exception {
        UUID job = UUID.randomUUID();
        LoopbackRelay relay = new LoopbackRelay();
        // round 3 of version 1 never completes, as if a node died before contributing
        relay.hold = m -> m.planVersion() == 1 && m.round() == 3;
        JobRun run = new JobRun(plan(job, 1, 6, 1, 4, 4), NODE_DEVICES, CORPUS, relay, 60_000, id -> 1.0);
        relay.run = run;
        CountDownLatch done = runToEnd(run);

        await().atMost(Duration.ofSeconds(60)).until(() -> relay.contributed.contains("1:3"));
        // the scheduler only knows step 2 was committed: the recovery version starts right after it
        assertThat(run.replan(plan(job, 2, 6, 3, 2, 6))).isTrue();
        assertThat(done.await(120, TimeUnit.SECONDS)).isTrue();

        assertEveryStepOnce(relay.metrics, 6, 8);
        assertThat(relay.metrics.stream().filter(m -> m.step() == 3).map(StepMetric::planVersion))
                .containsOnly(2);
        assertReplicasIdentical(relay.metrics, 6);
    }

    @Test
    void aDeviceLeftOutOfTheNextVersionStopsWhileTheOtherCarriesOn() throws Exception {
        UUID job = UUID.randomUUID();
        LoopbackRelay relay = new LoopbackRelay();
        relay.gatedRound = 2;
        JobRun run = new JobRun(plan(job, 1, 6, 1, 4, 4), NODE_DEVICES, CORPUS, relay, 30_000, id -> 1.0);
        relay.run = run;
        CountDownLatch done = runToEnd(run);

        await().atMost(Duration.ofSeconds(60)).until(() -> relay.reported("d0", 1) && relay.reported("d1", 1));
        assertThat(run.replan(plan(job, 2, 6, 4, 8))).isTrue(); // only d0, with the whole batch
        relay.open();
        assertThat(done.await(120, TimeUnit.SECONDS)).isTrue();

        assertEveryStepOnce(relay.metrics, 6, 8);
        assertThat(relay.metrics.stream().filter(m -> m.deviceId().equals("d1")).mapToInt(StepMetric::step).max())
                .hasValue(3);
        assertThat(relay.metrics.stream().filter(m -> m.step() >= 4).map(StepMetric::deviceId)).containsOnly("d0");
    }

    /** Every step 1..steps reported once per device that ran it, its batches summing to the global batch. */
    private static void assertEveryStepOnce(List<StepMetric> metrics, int steps, int globalBatch) {
        assertThat(metrics).allMatch(m -> m.error() == null, "no device failed");
        Set<String> seen = new HashSet<>();
        Map<Integer, Integer> batchPerStep = new HashMap<>();
        for (StepMetric m : metrics) {
            assertThat(seen.add(m.deviceId() + "@" + m.step())).as("%s step %d once", m.deviceId(), m.step()).isTrue();
            batchPerStep.merge(m.step(), m.batch(), Integer::sum);
        }
        for (int s = 1; s <= steps; s++) {
            assertThat(batchPerStep.get(s)).as("samples of step %d", s).isEqualTo(globalBatch);
        }
        assertThat(batchPerStep.keySet()).hasSize(steps);
    }

    private static void assertReplicasIdentical(List<StepMetric> metrics, int lastStep) {
        List<String> hashes = metrics.stream().filter(m -> m.step() == lastStep).map(StepMetric::weightsHash).toList();
        assertThat(hashes).hasSize(2).doesNotContainNull();
        assertThat(new HashSet<>(hashes)).hasSize(1);
    }
}
