package io.crosstrain.worker.domain;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.PlanStage;
import io.crosstrain.contracts.Topics;
import io.crosstrain.worker.pipeline.ActivationHub;
import io.crosstrain.worker.pipeline.PipelineStep;

/**
 * How one plan version's pipeline stages on this node reach their neighbours and how long their chips take: a stage
 * on the same node gets its hand-overs in memory, one on another node through the datacenter's activations topic
 * (chunks with the stamp of when the sending chip would be done, into the partition that node reads); activations
 * never leave the datacenter, as a replica's stages all live in one.
 */
final class StageWiring {

    private final UUID jobId;
    private final Plan plan;
    private final Set<String> nodeDevices;
    private final ActivationHub hub;
    private final JobRun.Outbox outbox;
    private final long timeoutMillis;
    private final Map<String, PlanDevice> byId = new HashMap<>();
    /** Replica → the rank of its first stage's device: the replica's data is sampled by it. */
    private final Map<String, Integer> dataRanks = new HashMap<>();

    StageWiring(Plan plan, Set<String> nodeDevices, ActivationHub hub, JobRun.Outbox outbox, long timeoutMillis) {
        this.jobId = plan.jobId();
        this.plan = plan;
        this.nodeDevices = nodeDevices;
        this.hub = hub;
        this.outbox = outbox;
        this.timeoutMillis = timeoutMillis;
        for (PlanDevice d : plan.devices()) {
            byId.put(d.deviceId(), d);
            if (d.staged() && d.stage().first()) {
                dataRanks.put(d.replicaOrSelf(), d.rank());
            }
        }
    }

    /** Tells the hub which stages run here, so it keeps their hand-overs (and only theirs). */
    void register(List<PlanDevice> local) {
        for (PlanDevice d : local) {
            if (d.staged()) {
                hub.register(jobId, plan.planVersion(), d.replicaOrSelf(), d.stage().index());
            }
        }
    }

    int dataRank(PlanDevice device) {
        Integer rank = dataRanks.get(device.replicaOrSelf());
        if (rank == null) {
            throw new IllegalStateException("replica " + device.replicaOrSelf() + " of plan v" + plan.planVersion()
                    + " has no first stage");
        }
        return rank;
    }

    /** The neighbours of {@code device}'s stage in step {@code step}. */
    PipelineStep.Link link(PlanDevice device, long step) {
        PlanStage stage = device.stage();
        String replica = device.replicaOrSelf();
        return new PipelineStep.Link() {
            @Override
            public void send(boolean forward, int microBatch, float[] values, long readyAtMs) {
                String target = forward ? stage.nextDevice() : stage.previousDevice();
                ActivationHub.Key key = new ActivationHub.Key(jobId, plan.planVersion(), step, replica,
                        stage.index() + (forward ? 1 : -1), microBatch, forward);
                if (nodeDevices.contains(target)) {
                    hub.deliver(key, values, readyAtMs);
                    return;
                }
                PlanDevice to = byId.get(target);
                if (to == null) {
                    throw new IllegalStateException("stage " + stage.index() + " of " + replica + " hands over to "
                            + target + ", which plan v" + plan.planVersion() + " does not have");
                }
                List<byte[]> chunks = TensorCodec.encode(new ChunkMeta(jobId, step, plan.planVersion(),
                        device.deviceId(), values.length, Codec.FP32), values);
                String topic = Topics.activations(device.datacenter());
                int partition = Topics.activationPartition(to.nodeId());
                // the receiving node's id in the key: it may not know its stage yet (its plan can come later)
                String wire = key.wire(to.nodeId());
                for (int i = 0; i < chunks.size(); i++) {
                    outbox.sendActivation(topic, partition, wire + ":" + i, chunks.get(i), readyAtMs);
                }
            }

            @Override
            public ActivationHub.Arrival receive(boolean forward, int microBatch)
                    throws TimeoutException, InterruptedException {
                return hub.take(new ActivationHub.Key(jobId, plan.planVersion(), step, replica, stage.index(),
                        microBatch, forward), timeoutMillis);
            }
        };
    }

    /**
     * Wall seconds of a micro-batch's forward and backward on the stage's chip: the plan's roofline of the stage,
     * at the chip's nominal speed (the plan may assume a measured one), at the device's emulated share of it, over
     * the time scale. A backward takes twice a forward ({@link PlanStage#FORWARD_SHARE}).
     */
    PipelineStep.Timing timing(PlanDevice device, DeviceStepPath path, double speedShare) {
        if (plan.timeScale() == null) {
            return null; // a real accelerator is not paced
        }
        double perChip = nominal(device) / (speedShare * plan.timeScale());
        return new PipelineStep.Timing() {
            @Override
            public double forwardSeconds(int microBatch) {
                return PlanStage.FORWARD_SHARE * chipSeconds(microBatch) * perChip;
            }

            @Override
            public double backwardSeconds(int microBatch) {
                return (1 - PlanStage.FORWARD_SHARE) * chipSeconds(microBatch) * perChip;
            }

            private double chipSeconds(int microBatch) {
                return device.stage().chipSeconds(path.microBatchSize(microBatch));
            }
        };
    }

    /**
     * Wall seconds the stage's chip needs for a whole step at its nominal speed (no slow-down): the pace a device
     * that kept up with its chip was busy for.
     */
    double nominalStepSeconds(PlanDevice device, DeviceStepPath path) {
        if (plan.timeScale() == null) {
            return 0;
        }
        double chip = 0;
        for (int i = 0; i < path.microBatches(); i++) {
            chip += device.stage().chipSeconds(path.microBatchSize(i));
        }
        return chip * nominal(device) / plan.timeScale();
    }

    /** The plan's stage time is at the speed it assumed; the emulated chip runs at its nominal one. */
    private static double nominal(PlanDevice device) {
        return device.chipSamplesPerSec() > 0 ? device.chipSamplesPerSec() / device.emulatedSpeed() : 1.0;
    }
}
