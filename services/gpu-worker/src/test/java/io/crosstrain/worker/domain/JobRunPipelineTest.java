package io.crosstrain.worker.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.PlanStage;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.training.Corpus;
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
        final Map<String, List<Chunk>> open = new TreeMap<>();
        final List<JobRun> runs = new CopyOnWriteArrayList<>();
        /** Where a node's activations go: the hub of the run on that node. */
        final Map<Integer, ActivationHub> partitions = new ConcurrentHashMap<>();
        int activationRecords;

        @Override
        public synchronized void sendGradient(String topic, String key, byte[] bytes) {
            Chunk chunk = TensorCodec.decode(bytes);
            ChunkMeta meta = chunk.meta();
            String id = meta.planVersion() + ":" + meta.round() + ":" + chunk.chunkIndex();
            List<Chunk> parts = open.computeIfAbsent(id, k -> new ArrayList<>());
            parts.add(chunk);
            if (parts.size() < sendersOfChunk.getOrDefault(chunk.chunkIndex() + "", 1)) {
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
            byte[] down = TensorCodec.encodeChunk(meta.withSender("relay-dc").withSampleCount(samples),
                    chunk.chunkIndex(), chunk.chunkCount(), chunk.totalElements(), chunk.elementOffset(), sum, 0,
                    sum.length);
            runs.forEach(r -> r.offer(meta.planVersion(), meta.round(), TensorCodec.view(down), 0));
        }

        @Override
        public synchronized void sendActivation(String topic, int partition, String key, byte[] chunk,
                                                long readyAtMs) {
            activationRecords++;
            ActivationHub.Key k = ActivationHub.Key.parse(key.substring(0, key.lastIndexOf(':')));
            partitions.get(partition).deliver(k, TensorCodec.view(chunk), readyAtMs);
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
            relay.partitions.put(io.crosstrain.contracts.Topics.activationPartition(node.getKey()), hub);
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

    private static String hashAt(ChunkRelay relay, String device, int step) {
        return relay.metrics.stream().filter(m -> m.deviceId().equals(device) && m.step() == step).findFirst()
                .orElseThrow().weightsHash();
    }
}
