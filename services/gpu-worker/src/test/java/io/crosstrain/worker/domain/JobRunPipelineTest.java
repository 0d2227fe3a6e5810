package io.crosstrain.worker.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;

import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.GradientHeaders;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.PlanStage;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.training.Corpus;
import io.crosstrain.training.DeviceTrainer;
import io.crosstrain.training.StageRange;
import io.crosstrain.worker.pipeline.ActivationHub;

/**
 * A replica split into two pipeline stages, run by the worker's own job loop with real DJL training: on one node
 * (activations in memory) and on two nodes (activations through an in-test stand-in for the activations topic),
 * against the same job as one whole replica. The loss of every step must agree: the stages together compute what
 * the whole model computes, and the relay puts each stage's parameter range back together.
 */
class JobRunPipelineTest {

    private static final ModelSpec MODEL = new ModelSpec(2, 16, 2, 16, 0);
    private static final Corpus CORPUS = Corpus.of("The quick brown fox jumps over the lazy dog. ".repeat(200));
    private static final int STEPS = 10;
    private static final int BATCH = 8;

    /**
     * One datacenter's relay for any nodes: every chunk is summed over the nodes that send it (a node sends only the
     * chunks its devices' ranges meet) and divided by the samples those nodes count for it, as the real relay does.
     */
    private static final class ChunkRelay implements JobRun.Outbox {
        final List<StepMetric> metrics = new CopyOnWriteArrayList<>();
        final Map<String, Integer> sendersOfChunk = new ConcurrentHashMap<>();
        /** Nodes contributing to each chunk of a plan version, where versions differ (else {@link #sendersOfChunk}). */
        final Map<Integer, Integer> sendersOfVersion = new ConcurrentHashMap<>();
        /** Run once right before the average of {@code "version:round"} goes out: a test acts at a known step. */
        final Map<String, Runnable> beforeAverage = new ConcurrentHashMap<>();
        /** What went to the compacted model-state topic. */
        final List<ModelStateCodec.Record> modelState = new CopyOnWriteArrayList<>();
        final Map<String, List<Chunk>> open = new TreeMap<>();
        final List<JobRun> runs = new CopyOnWriteArrayList<>();
        /** Where a node's activations go: the hub of the run on that node. */
        final Map<Integer, ActivationHub> partitions = new ConcurrentHashMap<>();
        int activationRecords;
        /** The first record whose key did not name its chunk (dropped, as the relay dead-letters it). */
        volatile String badKey;

        @Override
        public synchronized void sendGradient(String topic, String key, byte[] bytes) {
            if (topic.equals(Topics.MODEL_STATE)) {
                modelState.add(new ModelStateCodec.Record(key, bytes));
                return;
            }
            Chunk chunk = TensorCodec.decode(bytes);
            ChunkMeta meta = chunk.meta();
            // the relay dead-letters a record whose key does not name its chunk
            if (!key.equals(GradientHeaders.upKey(meta.jobId(), meta.round(), meta.sender(), chunk.chunkIndex()))) {
                badKey = "key " + key + " does not name chunk " + chunk.chunkIndex() + " of " + meta.sender();
                return;
            }
            String id = meta.planVersion() + ":" + meta.round() + ":" + chunk.chunkIndex();
            List<Chunk> parts = open.computeIfAbsent(id, k -> new ArrayList<>());
            parts.add(chunk);
            int senders = sendersOfVersion.getOrDefault(meta.planVersion(),
                    sendersOfChunk.getOrDefault(chunk.chunkIndex() + "", 1));
            if (parts.size() < senders) {
                return;
            }
            open.remove(id);
            parts.sort((a, b) -> a.meta().sender().compareTo(b.meta().sender()));
            float[] sum = parts.get(0).values().clone();
            int samples = parts.get(0).meta().sampleCount();
            for (Chunk c : parts.subList(1, parts.size())) {
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += c.values()[i];
                }
                samples += c.meta().sampleCount();
            }
            for (int i = 0; i < sum.length; i++) {
                sum[i] /= samples;
            }
            Runnable hook = beforeAverage.remove(meta.planVersion() + ":" + meta.round());
            if (hook != null) {
                hook.run();
            }
            byte[] down = TensorCodec.encodeChunk(meta.withSender("relay-dc").withSampleCount(samples),
                    chunk.chunkIndex(), chunk.chunkCount(), chunk.totalElements(), chunk.elementOffset(), sum, 0,
                    sum.length);
            runs.forEach(r -> r.offer(meta.planVersion(), meta.round(), TensorCodec.view(down), 0));
        }

        @Override
        public synchronized void sendActivation(String topic, int partition, String key, byte[] chunk,
                                                long readyAtMs) {
            activationRecords++;
            String withoutChunk = key.substring(0, key.lastIndexOf(':'));
            ActivationHub.Key k = ActivationHub.Key.parse(withoutChunk);
            // as the node's listener does: a record naming this partition's node is kept before its stage registers
            String toNode = ActivationHub.Key.toNode(withoutChunk);
            partitions.get(partition).deliver(k, TensorCodec.view(chunk), readyAtMs,
                    toNode != null && Topics.activationPartition(toNode) == partition);
        }

        @Override
        public void publishMetric(StepMetric metric) {
            metrics.add(metric);
        }

        double loss(String device, int step) {
            return metrics.stream().filter(m -> m.deviceId().equals(device) && m.step() == step).findFirst()
                    .orElseThrow().loss();
        }
    }

    private static Plan plan(UUID job, List<PlanDevice> devices) {
        return new Plan(job, 1, "sync-dp", "balanced", Plan.MEASURED, null, MODEL, DatasetSpec.bundled(), STEPS,
                BATCH, 3e-3, 7L, 5, List.of("dc"), devices, null);
    }

    private static PlanDevice stage(String id, String node, int index, String previous, String next) {
        int vocab = CORPUS.vocabSize();
        StageRange range = StageRange.of(MODEL, index, index);
        return new PlanDevice(id, node, "dc", "A100-80G", index, BATCH, 4, 100.0, 0.0, null, "dc-r0",
                new PlanStage(index, 2, index, index, range.parameterOffset(MODEL, vocab),
                        range.parameterCount(MODEL, vocab), previous, next, 2, 0, 0, 0, 1, 2));
    }

    /** Runs a plan on one or two nodes and waits for every device's last step. */
    private static ChunkRelay run(Plan plan, Map<String, Set<String>> nodes) {
        ChunkRelay relay = new ChunkRelay();
        // which nodes send which chunk: a small model is one chunk, sent by every node of the plan
        relay.sendersOfChunk.put("0", nodes.size());
        for (Map.Entry<String, Set<String>> node : nodes.entrySet()) {
            ActivationHub hub = new ActivationHub();
            relay.partitions.put(Topics.activationPartition(node.getKey()), hub);
            JobRun run = new JobRun(plan, node.getValue(), CORPUS, relay, 60_000, id -> 1.0,
                    (j, v, r) -> java.util.Optional.empty(), hub);
            relay.runs.add(run);
        }
        relay.runs.forEach(JobRun::start);
        await().atMost(Duration.ofMinutes(2)).until(() -> plan.devices().stream().allMatch(d ->
                relay.metrics.stream().anyMatch(m -> m.deviceId().equals(d.deviceId()) && m.step() == STEPS)));
        return relay;
    }

    @Test
    void twoStagesOnOneNodeAndOnTwoNodesTrainAsTheWholeReplicaDoes() {
        UUID job = UUID.randomUUID();
        ChunkRelay whole = run(plan(job, List.of(new PlanDevice("d0", "n0", "dc", "A100-80G", 0, BATCH, 1, 100.0,
                0.0))), Map.of("n0", Set.of("d0")));
        ChunkRelay oneNode = run(plan(job, List.of(stage("d0", "n0", 0, null, "d1"), stage("d1", "n0", 1, "d0",
                null))), Map.of("n0", Set.of("d0", "d1")));
        ChunkRelay twoNodes = run(plan(job, List.of(stage("d0", "n0", 0, null, "d1"), stage("d1", "n1", 1, "d0",
                null))), Map.of("n0", Set.of("d0"), "n1", Set.of("d1")));

        for (int step = 1; step <= STEPS; step++) {
            double reference = whole.loss("d0", step);
            // the loss is the last stage's; the first reports none
            assertThat(oneNode.loss("d1", step)).as("step %d on one node", step)
                    .isCloseTo(reference, org.assertj.core.api.Assertions.withinPercentage(0.01));
            assertThat(twoNodes.loss("d1", step)).as("step %d on two nodes", step)
                    .isCloseTo(reference, org.assertj.core.api.Assertions.withinPercentage(0.01));
            assertThat(oneNode.loss("d0", step)).isNaN();
        }
        assertThat(oneNode.activationRecords).as("stages on one node hand over in memory").isZero();
        // 10 steps × 4 micro-batches × (activations forward + their gradients back), one chunk each
        assertThat(twoNodes.activationRecords).isEqualTo(STEPS * 4 * 2);
        // every device reports the whole model's size and the replica's batch
        long parameters = MODEL.parameters(CORPUS.vocabSize());
        assertThat(twoNodes.metrics).allSatisfy(m -> {
            assertThat(m.parameters()).isEqualTo(parameters);
            assertThat(m.batch()).isEqualTo(BATCH);
        });
        // the same stage on one node and on two holds the same bits
        for (String device : List.of("d0", "d1")) {
            assertThat(hashAt(oneNode, device, STEPS)).isEqualTo(hashAt(twoNodes, device, STEPS)).isNotNull();
        }
    }

    /**
     * A model of several chunks whose second stage starts inside the chunk grid: the second node sends only the
     * chunks its range meets, none of them chunk 0, and each record's key must name its chunk (the relay dead-letters
     * one that does not). Both nodes count chunk 1, which their ranges share.
     */
    @Test
    void aStageOnASecondNodeSendsOnlyItsOwnChunksEachKeyedByItsIndexInTheGrid() {
        ModelSpec wide = new ModelSpec(4, 96, 2, 16, 0);
        int vocab = CORPUS.vocabSize();
        long total = wide.parameters(vocab);
        int per = TensorCodec.elementsPerChunk(io.crosstrain.codec.Codec.FP32, "n1");
        long split = StageRange.of(wide, 2, 3).parameterOffset(wide, vocab);
        assertThat(split / per).as("the second stage starts past chunk 0").isPositive();
        UUID job = UUID.randomUUID();
        java.util.function.Function<List<PlanDevice>, Plan> planOf = devices -> new Plan(job, 1, "sync-dp",
                "balanced", Plan.MEASURED, null, wide, DatasetSpec.bundled(), 4, BATCH, 3e-3, 7L, 5, List.of("dc"),
                devices, null);
        java.util.function.BiFunction<Integer, String, PlanDevice> stageOf = (index, node) -> {
            StageRange range = StageRange.of(wide, 2 * index, 2 * index + 1);
            return new PlanDevice("d" + index, node, "dc", "A100-80G", index, BATCH, 4, 100.0, 0.0, null, "dc-r0",
                    new PlanStage(index, 2, 2 * index, 2 * index + 1, range.parameterOffset(wide, vocab),
                            range.parameterCount(wide, vocab), index == 0 ? null : "d0", index == 0 ? "d1" : null, 2,
                            0, 0, 0, 1, 2));
        };

        ChunkRelay whole = runOn(planOf.apply(List.of(new PlanDevice("d0", "n0", "dc", "A100-80G", 0, BATCH, 1,
                100.0, 0.0))), Map.of("n0", Set.of("d0")), 4, Map.of());
        Map<String, Integer> senders = new java.util.HashMap<>();
        for (long c = 0; c * per < total; c++) {
            boolean first = c * per < split;
            boolean second = (c + 1) * per > split;
            senders.put(String.valueOf(c), (first ? 1 : 0) + (second ? 1 : 0));
        }
        ChunkRelay twoNodes = runOn(planOf.apply(List.of(stageOf.apply(0, "n0"), stageOf.apply(1, "n1"))),
                Map.of("n0", Set.of("d0"), "n1", Set.of("d1")), 4, senders);

        for (int step = 1; step <= 4; step++) {
            assertThat(twoNodes.loss("d1", step)).as("step %d", step).isCloseTo(whole.loss("d0", step),
                    org.assertj.core.api.Assertions.withinPercentage(0.01));
        }
    }

    /** As {@link #run}, for {@code steps} steps and with the nodes sending each chunk given per chunk. */
    private static ChunkRelay runOn(Plan plan, Map<String, Set<String>> nodes, int steps,
                                    Map<String, Integer> sendersOfChunk) {
        ChunkRelay relay = new ChunkRelay();
        relay.sendersOfChunk.putAll(sendersOfChunk);
        for (Map.Entry<String, Set<String>> node : nodes.entrySet()) {
            ActivationHub hub = new ActivationHub();
            relay.partitions.put(Topics.activationPartition(node.getKey()), hub);
            relay.runs.add(new JobRun(plan, node.getValue(), CORPUS, relay, 60_000, id -> 1.0,
                    (j, v, r) -> java.util.Optional.empty(), hub));
        }
        relay.runs.forEach(JobRun::start);
        await().atMost(Duration.ofMinutes(2)).until(() -> relay.badKey != null || plan.devices().stream()
                .allMatch(d -> relay.metrics.stream().anyMatch(m -> m.deviceId().equals(d.deviceId())
                        && m.step() == steps)));
        assertThat(relay.badKey).isNull();
        return relay;
    }

    /** Four blocks, so that a replica's blocks can be split 2|2, then 1|3, then held whole. */
    private static final ModelSpec DEEP = new ModelSpec(4, 16, 2, 16, 0);
    private static final int SWITCHED_STEPS = 8;

    /** The model-state reader's part for the in-test topic: scans what the relay stored until the range is there. */
    private static final class PublishedState implements JobRun.StateSource {
        final ChunkRelay relay;
        /** The ranges asked for, as {@code round:offset+count}. */
        final List<String> asked = new CopyOnWriteArrayList<>();

        PublishedState(ChunkRelay relay) {
            this.relay = relay;
        }

        @Override
        public Optional<DeviceTrainer.State> await(UUID jobId, int planVersion, long round) {
            ModelStateCodec.Assembler a = new ModelStateCodec.Assembler(jobId, round);
            relay.modelState.forEach(r -> a.accept(r.value()));
            return a.complete() ? Optional.of(a.state()) : Optional.empty();
        }

        @Override
        public Optional<ModelStateCodec.Snapshot> awaitRange(UUID jobId, int planVersion, long round, long offset,
                                                             int count, boolean diloco, BooleanSupplier abandoned) {
            asked.add(round + ":" + offset + "+" + count);
            // a scan from the topic's beginning takes a while: a neighbour that had its state at hand starts first
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                ModelStateCodec.RangeAssembler a = new ModelStateCodec.RangeAssembler(jobId, round, offset, count,
                        diloco);
                relay.modelState.forEach(r -> a.accept(r.value()));
                if (a.complete()) {
                    return Optional.of(a.snapshot());
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
            return Optional.empty();
        }
    }

    private static Plan deepPlan(UUID job, List<PlanDevice> devices) {
        return new Plan(job, 1, "sync-dp", "balanced", Plan.MEASURED, null, DEEP, DatasetSpec.bundled(),
                SWITCHED_STEPS, BATCH, 3e-3, 7L, 5, List.of("dc"), devices, null);
    }

    /** Blocks {@code [first, last]} as stage {@code index} of a 2-stage replica whose data rank is 0. */
    private static PlanDevice deepStage(String id, String node, int index, int first, int last, String previous,
                                        String next) {
        int vocab = CORPUS.vocabSize();
        StageRange range = StageRange.of(DEEP, first, last);
        return new PlanDevice(id, node, "dc", "A100-80G", index, BATCH, 4, 100.0, 0.0, null, "dc-r0",
                new PlanStage(index, 2, first, last, range.parameterOffset(DEEP, vocab),
                        range.parameterCount(DEEP, vocab), previous, next, 2, 0, 0, 0, 1, 2));
    }

    private static long offsetOf(int firstBlock) {
        return StageRange.of(DEEP, firstBlock, 3).parameterOffset(DEEP, CORPUS.vocabSize());
    }

    /** The loss of a step as the replica reported it: its last stage's, whichever device that was. */
    private static double replicaLoss(ChunkRelay relay, int step) {
        List<Double> losses = relay.metrics.stream().filter(m -> m.step() == step && !Double.isNaN(m.loss()))
                .map(StepMetric::loss).toList();
        assertThat(losses).as("losses reported for step %d", step).hasSize(1);
        return losses.get(0);
    }

    /**
     * A re-plan that moves blocks between devices: 2|2 over two nodes, then 1|3 from step 4 (each device's range
     * changes, the second stage's node holds only part of its new range), then the whole model on the first device
     * from step 8 (the other node leaves). Every step must train as the whole replica does, with each range's state
     * after the switch exactly the committed one.
     */
    @Test
    void aReplicaWhoseBlocksMoveBetweenDevicesTrainsAsTheWholeReplicaDoes() throws Exception {
        UUID job = UUID.randomUUID();
        int vocab = CORPUS.vocabSize();
        long total = DEEP.parameters(vocab);
        Plan whole = deepPlan(job, List.of(new PlanDevice("d0", "n0", "dc", "A100-80G", 0, BATCH, 1, 100.0,
                0.0)));
        ChunkRelay reference = new ChunkRelay();
        JobRun alone = new JobRun(whole, Set.of("d0"), CORPUS, reference, 60_000, id -> 1.0);
        reference.runs.add(alone);
        alone.start();

        Plan v1 = deepPlan(job, List.of(deepStage("d0", "n0", 0, 0, 1, null, "d1"),
                deepStage("d1", "n1", 1, 2, 3, "d0", null)));
        Plan v2 = v1.next(List.of("dc"), List.of(deepStage("d0", "n0", 0, 0, 0, null, "d1"),
                deepStage("d1", "n1", 1, 1, 3, "d0", null)), null, 4, "blocks 1|3", true);
        Plan v3 = v2.next(List.of("dc"), List.of(new PlanDevice("d0", "n0", "dc", "A100-80G", 0, BATCH, 1, 100.0,
                0.0)), null, SWITCHED_STEPS, "whole model on d0", true);
        ChunkRelay relay = new ChunkRelay();
        relay.sendersOfVersion.putAll(Map.of(1, 2, 2, 2, 3, 1));
        PublishedState topic = new PublishedState(relay);
        for (String node : List.of("n0", "n1")) {
            ActivationHub hub = new ActivationHub();
            relay.partitions.put(Topics.activationPartition(node), hub);
            relay.runs.add(new JobRun(v1, Set.of(node.equals("n0") ? "d0" : "d1"), CORPUS, relay, 60_000,
                    id -> 1.0, topic, hub));
        }
        // each version reaches both nodes while the rounds before its start step are still open
        relay.beforeAverage.put("1:2", () -> relay.runs.forEach(r -> r.replan(v2)));
        relay.beforeAverage.put("2:6", () -> relay.runs.forEach(r -> r.replan(v3)));
        relay.runs.forEach(JobRun::start);
        await().atMost(Duration.ofMinutes(2)).until(() -> reference.metrics.stream()
                .anyMatch(m -> m.step() == SWITCHED_STEPS) && relay.metrics.stream().anyMatch(m ->
                m.error() != null || m.deviceId().equals("d0") && m.step() == SWITCHED_STEPS));

        assertThat(relay.metrics).allSatisfy(m -> assertThat(m.error()).as("error of %s", m.deviceId()).isNull());
        for (int step = 1; step <= SWITCHED_STEPS; step++) {
            int version = step < 4 ? 1 : step < SWITCHED_STEPS ? 2 : 3;
            int s = step;
            // every step once per device of its version: none applied twice, none lost
            assertThat(relay.metrics.stream().filter(m -> m.step() == s).map(m -> m.deviceId() + "@v"
                    + m.planVersion()).toList()).as("step %d", step)
                    .containsExactlyInAnyOrderElementsOf(version == 3 ? List.of("d0@v3")
                            : List.of("d0@v" + version, "d1@v" + version));
            assertThat(replicaLoss(relay, step)).as("loss of step %d", step)
                    .isCloseTo(replicaLoss(reference, step), org.assertj.core.api.Assertions.withinPercentage(0.01));
        }
        // d0's new range lay within its old one (taken on its node); d1's and then the whole model came from the
        // ranges both nodes published at the switches
        assertThat(topic.asked).containsExactlyInAnyOrder("3:" + offsetOf(1) + "+" + (total - offsetOf(1)),
                "7:0+" + total);

        // the state handed over at each switch is, range by range, the whole replica's after that step
        Map<Integer, DeviceTrainer.State> expected = wholeReplicaStates(v1, 3, 7);
        Map<Integer, List<Long>> borders = Map.of(3, List.of(0L, offsetOf(2), total), 7,
                List.of(0L, offsetOf(1), total));
        for (int round : List.of(3, 7)) {
            List<Long> b = borders.get(round);
            for (int i = 0; i + 1 < b.size(); i++) {
                long from = b.get(i);
                int count = (int) (b.get(i + 1) - from);
                assertThat(relay.modelState).as("range %d+%d after step %d published", from, count, round)
                        .anyMatch(r -> r.key().equals(job + ":state-weights@" + from + "+" + count + ":0"));
                ModelStateCodec.RangeAssembler a = new ModelStateCodec.RangeAssembler(job, round, from, count, false);
                relay.modelState.stream().filter(r -> r.key().contains("@" + from + "+" + count + ":"))
                        .forEach(r -> a.accept(r.value()));
                assertThat(a.complete()).isTrue();
                DeviceTrainer.State got = a.snapshot().trainer();
                assertThat(got.updates()).isEqualTo(round);
                float[] want = java.util.Arrays.copyOfRange(expected.get(round).weights(), (int) from,
                        (int) from + count);
                assertThat(maxDifference(got.weights(), want)).as("weights %d+%d after step %d", from, count, round)
                        .isLessThan(WEIGHT_NOISE);
                // and so are AdamW's moments, up to the same noise relative to their size
                for (boolean means : new boolean[] {true, false}) {
                    float[] wanted = java.util.Arrays.copyOfRange(means ? expected.get(round).means()
                            : expected.get(round).variances(), (int) from, (int) from + count);
                    double size = maxDifference(wanted, new float[count]);
                    assertThat(maxDifference(means ? got.means() : got.variances(), wanted))
                            .as("%s of %d+%d after step %d", means ? "means" : "variances", from, count, round)
                            .isLessThan(1e-4 * size);
                }
            }
        }
    }

    /** fp32 noise of summing micro-batch gradients in another order, over a few Adam steps of lr 3e-3. */
    private static final double WEIGHT_NOISE = 1e-5;

    private static double maxDifference(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /** A whole replica's state after each of {@code steps}: the steps a worker runs, without the transport. */
    private static Map<Integer, DeviceTrainer.State> wholeReplicaStates(Plan plan, int... steps) {
        Map<Integer, DeviceTrainer.State> out = new java.util.HashMap<>();
        var optimizer = plan.optimizerOrDefaults();
        try (DeviceTrainer t = new DeviceTrainer(DEEP, CORPUS.vocabSize(), plan.seed(), plan.learningRate(),
                optimizer.weightDecay(), optimizer.warmupSteps())) {
            float[] gradient = new float[t.parameterCount()];
            int last = java.util.Arrays.stream(steps).max().orElse(0);
            for (int step = 1; step <= last; step++) {
                t.forwardBackwardInto(DeviceTrainer.sample(CORPUS.tokens(), plan.seed(), step, 0, BATCH,
                        DEEP.seqLen()), gradient);
                for (int i = 0; i < gradient.length; i++) {
                    gradient[i] /= BATCH;
                }
                t.applyUpdate(gradient);
                int s = step;
                if (java.util.Arrays.stream(steps).anyMatch(x -> x == s)) {
                    out.put(step, t.exportState());
                }
            }
        }
        return out;
    }

    private static String hashAt(ChunkRelay relay, String device, int step) {
        return relay.metrics.stream().filter(m -> m.deviceId().equals(device) && m.step() == step).findFirst()
                .orElseThrow().weightsHash();
    }
}
