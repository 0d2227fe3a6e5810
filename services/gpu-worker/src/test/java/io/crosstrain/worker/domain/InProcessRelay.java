package io.crosstrain.worker.domain;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.ChunkView;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.CheckpointShard;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.Rounds;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.training.DeviceTrainer;
import io.crosstrain.worker.pipeline.ActivationHub;

/**
 * The relays of a job in memory, for runs on several nodes: a round's chunk is summed over the nodes of its plan
 * version (under DiLoCo an inner round over the sender's datacenter only) in node order, divided by their samples,
 * and handed to those nodes, as the real relays do. Also keeps what a run publishes: metrics, checkpoint shards and
 * model-state records; and carries pipeline hand-overs between nodes.
 */
final class InProcessRelay implements JobRun.Outbox {

    /** Where a node takes a round's average: its run, or whatever run its worker has for the job. */
    @FunctionalInterface
    interface Receiver {
        void offer(int planVersion, long round, ChunkView chunk);
    }

    final List<StepMetric> metrics = new CopyOnWriteArrayList<>();
    final List<CheckpointShard> shards = new CopyOnWriteArrayList<>();
    final List<ModelStateCodec.Record> modelState = new CopyOnWriteArrayList<>();
    final Map<Integer, ActivationHub> partitions = new ConcurrentHashMap<>();
    private final Map<Integer, Plan> plans = new ConcurrentHashMap<>();
    private final Map<String, Receiver> receivers = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Chunk>> open = new HashMap<>();
    /** Contributions dropped as if their node had died before sending them: the round never completes. */
    volatile Predicate<ChunkMeta> hold = m -> false;
    /** Contributions that wait for {@link #gate} before they count (so a test acts at a known step). */
    volatile Predicate<ChunkMeta> gated = m -> false;
    final CountDownLatch gate = new CountDownLatch(1);

    InProcessRelay plan(Plan plan) {
        plans.put(plan.planVersion(), plan);
        return this;
    }

    InProcessRelay node(String nodeId, Receiver receiver) {
        receivers.put(nodeId, receiver);
        return this;
    }

    InProcessRelay run(String nodeId, JobRun run) {
        return node(nodeId, (v, r, c) -> run.offer(v, r, c, 0));
    }

    @Override
    public void sendGradient(String topic, String key, byte[] bytes) {
        if (topic.equals(Topics.MODEL_STATE)) {
            modelState.add(new ModelStateCodec.Record(key, bytes));
            return;
        }
        ChunkMeta peek = TensorCodec.peekMeta(bytes);
        if (gated.test(peek)) {
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
        if (hold.test(meta)) {
            return;
        }
        Plan plan = plans.get(meta.planVersion());
        List<String> group = group(plan, meta.sender(), meta.round());
        String id = meta.planVersion() + ":" + meta.round() + ":" + chunk.chunkIndex() + ":" + group;
        Map<String, Chunk> bySender = open.computeIfAbsent(id, k -> new TreeMap<>());
        bySender.put(meta.sender(), chunk);
        if (!bySender.keySet().containsAll(group)) {
            return;
        }
        open.remove(id);
        float[] sum = null;
        int samples = 0;
        for (String node : group) {
            Chunk c = bySender.get(node);
            if (sum == null) {
                sum = c.values().clone();
            } else {
                for (int i = 0; i < sum.length; i++) {
                    sum[i] += c.values()[i];
                }
            }
            samples += c.meta().sampleCount();
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] /= samples;
        }
        byte[] down = TensorCodec.encodeChunk(meta.withSender("relay").withSampleCount(samples), chunk.chunkIndex(),
                chunk.chunkCount(), chunk.totalElements(), chunk.elementOffset(), sum, 0, sum.length);
        for (String node : group) {
            Receiver r = receivers.get(node);
            if (r != null) {
                r.offer(meta.planVersion(), meta.round(), TensorCodec.view(down));
            }
        }
    }

    /** The nodes whose contributions make the round's average, in the order they are summed. */
    private static List<String> group(Plan plan, String sender, long round) {
        String dc = plan.devices().stream().filter(d -> d.nodeId().equals(sender)).findFirst().orElseThrow()
                .datacenter();
        boolean withinDc = plan.diloco() && !Rounds.isOuter(round);
        return plan.devices().stream().filter(d -> !withinDc || d.datacenter().equals(dc)).map(PlanDevice::nodeId)
                .distinct().sorted().toList();
    }

    @Override
    public void sendActivation(String topic, int partition, String key, byte[] chunk, long readyAtMs) {
        ActivationHub.Key k = ActivationHub.Key.parse(key.substring(0, key.lastIndexOf(':')));
        partitions.get(partition).deliver(k, TensorCodec.view(chunk), readyAtMs);
    }

    @Override
    public void publishMetric(StepMetric metric) {
        metrics.add(metric);
    }

    @Override
    public void publishCheckpointShard(CheckpointShard shard) {
        shards.add(shard);
    }

    /**
     * What {@code ModelStateReader} does against Kafka: the state of a range once the records published for it are
     * all here, pointers resolved through {@code claims}; empty after 60 s or once abandoned.
     */
    JobRun.StateSource states(StateClaimCheck claims) {
        return new JobRun.StateSource() {
            @Override
            public Optional<DeviceTrainer.State> await(UUID jobId, int planVersion, long round) {
                return Optional.empty();
            }

            @Override
            public Optional<ModelStateCodec.Snapshot> awaitRange(UUID jobId, int planVersion, long round, long offset,
                                                                 int count, boolean diloco, BooleanSupplier abandoned) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline && !abandoned.getAsBoolean()) {
                    ModelStateCodec.RangeAssembler a = new ModelStateCodec.RangeAssembler(jobId, round, offset,
                            count, diloco, claims);
                    modelState.forEach(r -> a.accept(r.value()));
                    if (a.complete()) {
                        return Optional.of(a.snapshot());
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
                return Optional.empty();
            }
        };
    }

    boolean reported(String device, int step) {
        return metrics.stream().anyMatch(m -> m.deviceId().equals(device) && m.step() == step);
    }

    /** The metric of a device's step under a plan version. */
    StepMetric metric(String device, int step, int planVersion) {
        return metrics.stream().filter(m -> m.deviceId().equals(device) && m.step() == step
                && m.planVersion() == planVersion).findFirst().orElseThrow(() -> new AssertionError(
                "no metric of " + device + " step " + step + " v" + planVersion));
    }
}
