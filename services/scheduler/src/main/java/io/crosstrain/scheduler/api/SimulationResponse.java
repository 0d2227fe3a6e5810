package io.crosstrain.scheduler.api;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.crosstrain.planner.ClusterPlanner;
import io.crosstrain.planner.LayerModel;

/**
 * Answer of {@code POST /api/v1/plans/simulate}. Every figure is a prediction of the cost model, not a measurement.
 *
 * @param reason      why the job cannot be planned; absent when feasible
 * @param model       the model as planned (a preset or a size resolved to blocks)
 * @param layouts     per datacenter, how it is laid out: pipeline stages, replicas and the alternatives
 * @param predicted   absent when infeasible
 * @param memoryScale every device held its chip's memory times this
 * @param assumptions what the figures rest on, in words
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(description = "A plan predicted by the cost model (not a measurement), or why the job cannot be planned")
record SimulationResponse(
        boolean feasible,
        @Schema(description = "Why the job cannot be planned; absent when feasible")
        String reason,
        ModelView model,
        @Schema(description = "Chosen devices in rank order: datacenter, then replica, then pipeline stage")
        List<DeviceView> devices,
        List<DatacenterView> datacenters,
        @Schema(description = "Per datacenter: its layout (pipeline stages per replica, replicas with their "
                + "stages), its step and bubble, and what the equal layer split and data parallelism alone would "
                + "achieve")
        List<LayoutView> layouts,
        @Schema(description = "Absent when infeasible")
        Predicted predicted,
        @Schema(description = "Every device held its chip's memory times this")
        double memoryScale,
        @Schema(description = "What the figures rest on, in words")
        List<String> assumptions) {

    /** The first assumption of every answer. */
    static final String PREDICTION = "every figure is a prediction of the cost model, not a measurement";

    /** The model as the planner saw it. */
    @Schema(description = "The model as planned")
    record ModelView(
            @Schema(description = "Transformer blocks") int layers,
            @Schema(description = "Width (fractional for a model given by its size)") double dModel,
            @Schema(description = "Tokens per sample") int seqLen,
            @Schema(description = "Trainable parameters") long parameters,
            @Schema(description = "Training FLOPs per sample, forward and backward") double flopsPerSample) {
    }

    /**
     * @param speedSource {@code measured} (given in the request) or {@code roofline} (the cost model's prior)
     * @param replica     the replica it belongs to: its own id for a whole replica, e.g. {@code bj-r0} in a pipeline
     * @param stage       its pipeline stage (0 first); absent for a whole replica
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "A chosen device")
    record DeviceView(
            String id,
            String datacenter,
            String nodeId,
            String chip,
            @Schema(description = "Samples per step: its own for a whole replica, its replica's in a pipeline")
            int batch,
            @Schema(description = "Micro-batches per step")
            int microBatches,
            @Schema(description = "Its whole-model speed, samples/s, which η compares against")
            double samplesPerSec,
            @Schema(description = "measured (given in the request) or roofline (the cost model's prior)",
                    allowableValues = {"measured", "roofline"})
            String speedSource,
            @Schema(description = "As a whole replica its memory cap; in a pipeline its replica's micro-batch size")
            int maxMicroBatch,
            @Schema(description = "Position in the plan: datacenter, then replica, then stage")
            int rank,
            @Schema(description = "Its replica: the device's own id for a whole replica, e.g. bj-r0 in a pipeline")
            String replica,
            @Schema(description = "Its pipeline stage, 0 first; absent for a whole replica")
            Integer stage) {
    }

    /** One datacenter group: its share of the batch, solo speed, compute and all-reduce time per step. */
    @Schema(description = "One datacenter: its share of the batch, its devices' speed, compute and all-reduce per "
            + "step")
    record DatacenterView(String id, int devices, int batch, double samplesPerSec, double computeSeconds,
                          double intraSyncSeconds) {
    }

    /**
     * How one datacenter is laid out.
     *
     * @param stages        pipeline stages per replica (1 = whole replicas, data parallel)
     * @param replicas      how many replicas
     * @param maxMicroBatch micro-batches of a pipeline hold at most this many samples; absent for whole replicas
     * @param replicaPlans  every replica with its stages in order (a whole replica: one stage of every layer)
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "How one datacenter is laid out")
    record LayoutView(
            String datacenter,
            @Schema(description = "Pipeline stages per replica; 1 = whole replicas (data parallel only)")
            int stages,
            @Schema(description = "How many replicas")
            int replicas,
            @Schema(description = "Micro-batches of a pipeline hold at most this many samples; absent for whole "
                    + "replicas (see devices[].maxMicroBatch)")
            Integer maxMicroBatch,
            @Schema(description = "Its share of the global batch")
            int batch,
            @Schema(description = "Its slowest replica's step, seconds")
            double stepSeconds,
            @Schema(description = "Share of the slowest replica's step its bottleneck stage is idle (0 for whole "
                    + "replicas)")
            double bubbleFraction,
            double samplesPerSec,
            @Schema(description = "Its samples/s over the sum of its devices' whole-model speeds")
            double eta,
            @Schema(description = "Devices left out: they do not divide into replicas of this many stages")
            List<String> idle,
            @Schema(description = "Every replica with its stages in order")
            List<ReplicaView> replicaPlans,
            @Schema(description = "The same replicas with the layers split evenly; absent for whole replicas")
            AlternativeView equalLayers,
            @Schema(description = "Every device a whole replica")
            AlternativeView dataParallelOnly) {
    }

    /** One replica: a device, or devices in pipeline order. */
    @Schema(description = "One replica and its stages in pipeline order")
    record ReplicaView(
            @Schema(description = "e.g. bj-r0; a whole replica is named after its device") String id,
            @Schema(description = "Samples per step") int batch,
            @Schema(description = "Micro-batches per step") int microBatches,
            @Schema(description = "Samples per micro-batch at most") int microBatchSize,
            List<StageView> stages) {
    }

    /**
     * One stage of a replica. Memory figures are given for pipeline stages, which the planner sizes block by block;
     * a whole replica's memory is its {@code maxMicroBatch} cap.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "One pipeline stage: a device and the layers it holds")
    record StageView(
            @Schema(description = "0 first") int index,
            String device,
            String chip,
            @Schema(description = "First transformer block it holds (the first stage also holds the embeddings)")
            int firstLayer,
            @Schema(description = "Last transformer block it holds (the last stage also holds the head)")
            int lastLayer,
            @Schema(description = "Blocks it holds") int layers,
            @Schema(description = "Parameters it holds") long parameters,
            @Schema(description = "Its first parameter in the flat vector") long parameterOffset,
            @Schema(description = "Memory it needs, GB: weights, gradients and AdamW state plus the activations "
                    + "1F1B keeps in flight; absent for a whole replica")
            Double memoryGb,
            @Schema(description = "Memory its device offers for training, GB (memoryGb × memoryScale × the usable "
                    + "share); absent for a whole replica")
            Double capacityGb,
            @Schema(description = "Forward and backward of one micro-batch, seconds; absent for a whole replica")
            Double microBatchSeconds) {
    }

    /** What another layout of a datacenter would do with the same share of the batch. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "Another layout of the datacenter with the same share of the batch, or why it cannot run")
    record AlternativeView(
            boolean feasible,
            @Schema(description = "Why it cannot run; absent when feasible") String reason,
            @Schema(description = "Pipeline stages per replica") int stages,
            @Schema(description = "Absent when it cannot run") Double samplesPerSec,
            @Schema(description = "Its samples/s over the datacenter's devices' speeds; absent when it cannot run")
            Double eta) {
    }

    /**
     * @param wanBytesPerStep    bytes each datacenter sends over the WAN, amortised over h
     * @param wanSecondsPerRound one WAN exchange (every h steps)
     * @param bubbleFraction     the pipeline bubble of the slowest replica (0 without pipelines)
     */
    @Schema(description = "The step across datacenters: strategy, H, time and η")
    record Predicted(
            double stepSeconds,
            @Schema(description = "Achieved samples/s over the sum of every chosen device's whole-model speed")
            double eta,
            @Schema(description = "η of the equal split of the batch over the same replicas")
            double equalSplitEta,
            @Schema(description = "Bytes each datacenter sends over the WAN per step, amortised over h")
            double wanBytesPerStep,
            @Schema(description = "Across datacenters: sync-dp or diloco", allowableValues = {"sync-dp", "diloco"})
            String strategy,
            @Schema(description = "Inner steps per WAN exchange (1 for sync-dp)")
            int h,
            double computeSeconds,
            double intraSyncSeconds,
            @Schema(description = "One WAN exchange, every h steps")
            double wanSecondsPerRound,
            double wanBytesPerRound,
            double samplesPerSec,
            @Schema(description = "The pipeline bubble of the slowest replica (0 without pipelines)")
            double bubbleFraction) {
    }

    /**
     * The answer to {@code request} from the planner's {@code result}: every figure is the planner's, regrouped;
     * the assumptions start with {@link #PREDICTION} and the validator's {@code notes}.
     */
    static SimulationResponse of(ClusterPlanner.Request request, ClusterPlanner.Result r, List<String> notes) {
        LayerModel layers = request.job().layers();
        ModelView model = new ModelView(layers.layers(), layers.dModel(), layers.seqLen(),
                Math.round(layers.parameters()), layers.flops());
        List<String> assumptions = new ArrayList<>();
        assumptions.add(PREDICTION);
        assumptions.addAll(notes);
        assumptions.addAll(r.assumptions());
        double memoryScale = request.job().memoryScaleOrDefault();
        if (!r.feasible()) {
            return new SimulationResponse(false, r.reason(), model, List.of(), List.of(), List.of(), null,
                    memoryScale, List.copyOf(assumptions));
        }
        ClusterPlanner.Prediction p = r.predicted();
        return new SimulationResponse(true, null, model,
                r.devices().stream().map(d -> new DeviceView(d.id(), d.datacenter(), d.nodeId(), d.chip(), d.batch(),
                        d.microBatches(), d.samplesPerSec(), d.measured() ? "measured" : "roofline",
                        d.maxMicroBatch(), d.rank(), d.replica(), d.stage() == null ? null : d.stage().index()))
                        .toList(),
                r.datacenters().stream().map(d -> new DatacenterView(d.id(), d.devices(), d.batch(),
                        d.samplesPerSec(), d.computeSeconds(), d.intraSyncSeconds())).toList(),
                r.layouts().stream().map(l -> layout(l, r.devices(), layers)).toList(),
                new Predicted(p.stepSeconds(), p.eta(), p.equalSplitEta(), p.wanBytesPerStep(), p.strategy(), p.h(),
                        p.computeSeconds(), p.intraSyncSeconds(), p.wanSecondsPerRound(), p.wanBytesPerRound(),
                        p.samplesPerSec(), p.bubbleFraction()),
                r.memoryScale(), List.copyOf(assumptions));
    }

    private static LayoutView layout(ClusterPlanner.Layout l, List<ClusterPlanner.DevicePlan> devices,
                                     LayerModel layers) {
        // the planner lists devices by datacenter, replica, stage: group them by replica in that order
        Map<String, List<ClusterPlanner.DevicePlan>> byReplica = new LinkedHashMap<>();
        for (ClusterPlanner.DevicePlan d : devices) {
            if (d.datacenter().equals(l.datacenter())) {
                byReplica.computeIfAbsent(d.replica(), k -> new ArrayList<>()).add(d);
            }
        }
        List<ReplicaView> replicas = new ArrayList<>();
        byReplica.forEach((id, members) -> replicas.add(replica(id, members, layers)));
        return new LayoutView(l.datacenter(), l.stages(), l.replicas(), l.stages() > 1 ? l.maxMicroBatch() : null,
                l.batch(), l.stepSeconds(), l.bubbleFraction(), l.samplesPerSec(), l.eta(), l.idle(),
                List.copyOf(replicas), alternative(l.equalLayers()), alternative(l.dataParallelOnly()));
    }

    private static ReplicaView replica(String id, List<ClusterPlanner.DevicePlan> members, LayerModel layers) {
        ClusterPlanner.DevicePlan first = members.get(0);
        List<StageView> stages = new ArrayList<>();
        int microBatchSize;
        if (first.stage() == null) {
            // a whole replica: one device holds every block; it runs its batch in microBatches of at most its cap
            microBatchSize = first.microBatches() == 0 ? 0
                    : (first.batch() + first.microBatches() - 1) / first.microBatches();
            stages.add(new StageView(0, first.id(), first.chip(), 0, layers.layers() - 1, layers.layers(),
                    Math.round(layers.parameters()), 0, null, null, null));
        } else {
            microBatchSize = first.maxMicroBatch();
            for (ClusterPlanner.DevicePlan d : members) {
                ClusterPlanner.Stage s = d.stage();
                stages.add(new StageView(s.index(), d.id(), d.chip(), s.firstLayer(), s.lastLayer(),
                        s.lastLayer() - s.firstLayer() + 1, s.parameterCount(), s.parameterOffset(),
                        s.memoryBytes() / 1e9, s.capacityBytes() / 1e9, s.time().seconds(microBatchSize)));
            }
        }
        return new ReplicaView(id, first.batch(), first.microBatches(), microBatchSize, List.copyOf(stages));
    }

    private static AlternativeView alternative(ClusterPlanner.Alternative a) {
        if (a == null) {
            return null;
        }
        return a.feasible() ? new AlternativeView(true, null, a.stages(), a.samplesPerSec(), a.eta())
                : new AlternativeView(false, a.reason(), a.stages(), null, null);
    }
}
