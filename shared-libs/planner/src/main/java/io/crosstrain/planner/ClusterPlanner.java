package io.crosstrain.planner;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.Placement;
import io.crosstrain.contracts.SyncSpec;
import io.crosstrain.planner.hybrid.GroupLayoutSearch;
import io.crosstrain.planner.hybrid.ReplicaCost;
import io.crosstrain.planner.hybrid.StageTime;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one planner (docs/architecture.md §5 and §11): the plans the scheduler publishes and the answers of
 * {@code plans/simulate} both come from here. Per job it does gang placement; lays out every datacenter, either as
 * whole replicas (one device each, data parallel) or as pipelined replicas whose stages span several devices
 * ({@link GroupLayoutSearch}); splits the global batch exactly over the units that result (devices, or replicas at
 * their pipelined speed); prices the step with the intra-datacenter all-reduce and the WAN; picks synchronous DP or
 * DiLoCo across datacenters and DiLoCo's {@code H}; and, when the chips are emulated, the time scale {@code k}.
 *
 * <p>The model of a step, all times in chip seconds:
 * <ul>
 *   <li>a whole replica of speed {@code s_i} (measured, else {@link CostModel#rooflineSamplesPerSec}) and memory cap
 *       {@code cap_i} ({@link CostModel#memoryCap} at the job's memory scale) takes {@code b_i / s_i};</li>
 *   <li>a pipelined replica takes {@code Σ_i (T_i + 2·C_i) + (M − 1)·max_i T_i} for its batch ({@link ReplicaCost});
 *       for the split its speed is its batch over that time, found by iterating the split three times;</li>
 *   <li>compute of datacenter {@code d}: {@code C_d} = its slowest unit; intra-datacenter sync {@code I_d}: a ring
 *       all-reduce of the fp32 gradient among its active replicas ({@code 2(n−1)/n · 4P bytes / bandwidth}), for
 *       pipelined replicas per stage position over that stage's parameters, the slowest position deciding; under
 *       emulation {@code I_d = 0}, as the emulation does not emulate it (the relays' Kafka round runs inside the
 *       paced slack);</li>
 *   <li>inner step {@code max_d (C_d + I_d)}; a WAN exchange of {@code x} bytes waits for the slowest link between
 *       participating datacenters ({@code x / bandwidth + latency}); sync DP sends {@code 4P} bytes every step,
 *       DiLoCo {@code P × codec bytes} every {@code H} steps; the step adds the exchange divided by {@code H};</li>
 *   <li>{@code η} = achieved samples/s ÷ the sum of every chosen device's whole-model speed (idle devices count).</li>
 * </ul>
 *
 * <p>Malformed requests throw {@link IllegalArgumentException}; a well-formed request that cannot be met gives
 * {@code feasible=false} with a reason naming the numbers.
 */
public final class ClusterPlanner {

    /**
     * Intra-datacenter bandwidth when a datacenter does not give its own: 100 Gbit/s, one common per-accelerator
     * RDMA NIC (InfiniBand EDR/HDR100 or 100 GbE RoCE). NVLink inside a node is faster, so this is the conservative
     * figure for rings and pipelines that span nodes.
     */
    public static final double DEFAULT_INTRA_DC_GBPS = 100.0;

    /** Default target share of WAN time in compute time. */
    public static final double DEFAULT_TARGET_COMM_RATIO = 0.1;

    /** Bytes per value of the fp32 gradients that synchronous DP exchanges. */
    public static final double FP32_BYTES = 4.0;

    /** Largest H the planner picks by itself; DiLoCo reports good results up to about this many inner steps. */
    public static final int MAX_H = 1000;

    /** A datacenter; {@code intraGbps} null = the planner's default. */
    public record Datacenter(String id, Double intraGbps) {
        public Datacenter(String id) {
            this(id, null);
        }
    }

    /** An undirected WAN link. */
    public record Link(String from, String to, double gbps, double latencyMs) {
    }

    /**
     * @param samplesPerSec       measured whole-model speed for this model, null = roofline prior of the chip
     * @param maxMicroBatch       largest micro-batch as a whole replica, null = memory cap of the chip
     * @param memoryGb            device memory for placement, null = the chip's
     * @param labels              for placement; null = none
     * @param cpuSecondsPerSample measured CPU cost of one sample's forward and backward on the host that emulates
     *                            the device (0 = unknown or a real accelerator)
     */
    public record Device(String id, String datacenter, String nodeId, String chip, Double samplesPerSec,
                         Integer maxMicroBatch, Double memoryGb, Map<String, String> labels,
                         double cpuSecondsPerSample) {
        public Device(String id, String datacenter, String nodeId, String chip, Double samplesPerSec,
                      Integer maxMicroBatch, Double memoryGb, Map<String, String> labels) {
            this(id, datacenter, nodeId, chip, samplesPerSec, maxMicroBatch, memoryGb, labels, 0.0);
        }

        public Device(String id, String datacenter, String chip) {
            this(id, datacenter, null, chip, null, null, null, null, 0.0);
        }
    }

    /**
     * @param model                  whole-model figures (null = {@code layers.profile()})
     * @param layers                 the model block by block; null = no pipeline stages (whole replicas only)
     * @param strategy               {@code auto}, {@code sync-dp} or {@code diloco}; null = auto
     * @param h                      fixed DiLoCo inner steps per round, null = chosen from the links
     * @param codecBytesPerParameter DiLoCo payload per parameter (4 fp32, 2 bf16, 1 int8, 0.5 4-bit); null = 4
     * @param targetCommRatio        WAN time over compute time to aim for; null = {@value #DEFAULT_TARGET_COMM_RATIO}
     * @param placement              null = no constraint
     * @param allocation             {@code balanced} (null) or {@code equal}
     * @param memoryScale            emulated memory is {@code memoryGb × memoryScale}; null = 1
     * @param stages                 pipeline stages per replica in every datacenter; null = the planner chooses
     * @param keep                   per datacenter, pipelined replicas to keep as they are (a re-plan: moving
     *                               blocks between devices would move their state); null = none
     */
    public record Job(ModelProfile model, LayerModel layers, int globalBatch, boolean allowGradientAccumulation,
                      String strategy, Integer h, Double codecBytesPerParameter, Double targetCommRatio,
                      Placement placement, String allocation, Double memoryScale, Integer stages,
                      Map<String, List<KeptReplica>> keep) {

        public Job(ModelProfile model, LayerModel layers, int globalBatch, boolean allowGradientAccumulation,
                   String strategy, Integer h, Double codecBytesPerParameter, Double targetCommRatio,
                   Placement placement, String allocation, Double memoryScale, Integer stages) {
            this(model, layers, globalBatch, allowGradientAccumulation, strategy, h, codecBytesPerParameter,
                    targetCommRatio, placement, allocation, memoryScale, stages, null);
        }

        public Job(ModelProfile model, int globalBatch, boolean allowGradientAccumulation, String strategy) {
            this(model, null, globalBatch, allowGradientAccumulation, strategy, null, null, null, null, null, null,
                    null, null);
        }

        public Job(ModelProfile model, int globalBatch, boolean allowGradientAccumulation, String strategy,
                   Integer h, Double codecBytesPerParameter, Double targetCommRatio, Placement placement) {
            this(model, null, globalBatch, allowGradientAccumulation, strategy, h, codecBytesPerParameter,
                    targetCommRatio, placement, null, null, null, null);
        }

        /** The whole-model figures, from the blocks when not given. */
        public ModelProfile profile() {
            return model != null ? model : layers.profile();
        }

        public double memoryScaleOrDefault() {
            return memoryScale == null ? 1.0 : memoryScale;
        }
    }

    /**
     * A pipelined replica a re-plan keeps.
     *
     * @param id            its id, kept too
     * @param devices       its devices in stage order
     * @param blocks        blocks per stage
     * @param maxMicroBatch its micro-batch size
     */
    public record KeptReplica(String id, List<String> devices, int[] blocks, int maxMicroBatch) {
    }

    /**
     * Chips emulated on CPUs (docs/architecture.md §6).
     *
     * @param timeScale      {@code k}; null = calibrate from the devices' CPU costs
     * @param hostCores      cores of the emulating host, for calibrating
     * @param cpuBudget      share of the host CPU emulated work may use
     * @param minStepSeconds shortest balanced step the calibrated {@code k} may give (0 = none)
     */
    public record Emulation(Double timeScale, int hostCores, double cpuBudget, double minStepSeconds) {
    }

    /**
     * {@code datacenters} null or empty = those the devices name; {@code links} null = none; {@code emulation}
     * null = real chips.
     */
    public record Request(List<Datacenter> datacenters, List<Link> links, List<Device> devices, Job job,
                          Emulation emulation) {
        public Request(List<Datacenter> datacenters, List<Link> links, List<Device> devices, Job job) {
            this(datacenters, links, devices, job, null);
        }
    }

    /**
     * A device's pipeline stage.
     *
     * @param parameterOffset first parameter of the stage in the flat vector (embeddings, block 0 … block L−1,
     *                        final norm, head)
     * @param previous        the device of the stage before, null for the first
     * @param next            the device of the stage after, null for the last
     * @param time            its roofline: seconds of a micro-batch of any size
     */
    public record Stage(int index, int stages, int firstLayer, int lastLayer, long parameterOffset,
                        long parameterCount, String previous, String next, double memoryBytes,
                        double capacityBytes, StageTime time) {
    }

    /**
     * One chosen device.
     *
     * @param samplesPerSec    its whole-model speed (what η compares against)
     * @param maxMicroBatch    as a whole replica: its memory cap; in a pipeline: the replica's micro-batch size
     * @param measured         whether its speed was given or is the roofline prior
     * @param rank             position in the plan: datacenter, then replica, then stage
     * @param replica          its replica, e.g. {@code bj-r0}
     * @param stage            its pipeline stage, null for a whole replica
     * @param pacedStepSeconds under emulation, the wall time of its step: its replica's chip time ÷ k (0 otherwise)
     */
    public record DevicePlan(String id, String datacenter, String nodeId, String chip, int batch, int microBatches,
                             double samplesPerSec, int maxMicroBatch, boolean measured, int rank, String replica,
                             Stage stage, double pacedStepSeconds) {
    }

    /**
     * @param devices          chosen devices in it
     * @param batch            its group size {@code Σ b_i}
     * @param samplesPerSec    Σ of its devices' whole-model speeds
     * @param computeSeconds   its slowest unit's step
     * @param intraSyncSeconds its all-reduce per step
     */
    public record DatacenterPlan(String id, int devices, int batch, double samplesPerSec, double computeSeconds,
                                 double intraSyncSeconds) {
    }

    /**
     * What another layout of one datacenter would do at the same share of the batch.
     *
     * @param samplesPerSec its throughput, 0 when it cannot run
     * @param eta           that throughput ÷ the datacenter's devices' speeds
     */
    public record Alternative(boolean feasible, String reason, int stages, double samplesPerSec, double eta) {
    }

    /**
     * How one datacenter is laid out.
     *
     * @param stages           pipeline stages per replica (1 = whole replicas)
     * @param maxMicroBatch    micro-batches hold at most this many samples
     * @param stepSeconds      its slowest replica's step, chip seconds
     * @param bubbleFraction   of that replica (0 for whole replicas)
     * @param idle             devices left out because they do not divide into replicas of {@code stages}
     * @param equalLayers      the same replicas with the blocks split evenly
     * @param dataParallelOnly every device a whole replica
     */
    public record Layout(String datacenter, int stages, int replicas, int maxMicroBatch, int batch,
                         double stepSeconds, double bubbleFraction, double samplesPerSec, double eta,
                         List<String> idle, Alternative equalLayers, Alternative dataParallelOnly) {
    }

    /**
     * @param h                  inner steps per WAN exchange (1 for sync-DP)
     * @param stepSeconds        inner step plus the WAN exchange divided by h
     * @param computeSeconds     the slowest unit's step over all datacenters
     * @param wanSecondsPerRound one WAN exchange (0 with one datacenter or when no links were given)
     * @param wanBytesPerRound   bytes each datacenter sends per exchange
     * @param wanBytesPerStep    the same amortised over h
     * @param syncDpWanSeconds   what one sync-DP exchange (fp32 gradient) would take: auto compares it
     * @param samplesPerSec      G / stepSeconds
     * @param equalSplitEta      η of the equal split over the same units with the same strategy and h; 0 when the
     *                           equal split cannot run
     * @param bubbleFraction     the pipeline bubble of the slowest replica (0 without pipelines)
     */
    public record Prediction(String strategy, int h, double stepSeconds, double computeSeconds,
                             double intraSyncSeconds, double wanSecondsPerRound, double wanBytesPerRound,
                             double wanBytesPerStep, double syncDpWanSeconds, double samplesPerSec, double eta,
                             double equalSplitEta, double bubbleFraction) {
    }

    /**
     * @param devices          chosen devices in rank order; empty when infeasible
     * @param datacenters      per datacenter with chosen devices, ordered by id; empty when infeasible
     * @param predicted        null when infeasible
     * @param assumptions      what the figures rest on, in words
     * @param layouts          per datacenter, ordered by id
     * @param timeScale        the emulation's {@code k}, null on real chips
     * @param pacedStepSeconds under emulation the wall time of a step ({@code stepSeconds / k}), else 0
     * @param memoryScale      the memory scale the layouts were made for
     */
    public record Result(boolean feasible, String reason, List<DevicePlan> devices, List<DatacenterPlan> datacenters,
                         Prediction predicted, List<String> assumptions, List<Layout> layouts, Double timeScale,
                         double pacedStepSeconds, double memoryScale) {

        static Result infeasible(String reason) {
            return new Result(false, reason, List.of(), List.of(), null, List.of(), List.of(), null, 0, 1);
        }
    }

    private final ChipCatalogue catalogue;
    private final double defaultIntraGbps;
    private final GroupLayoutSearch.Options options;

    public ClusterPlanner(ChipCatalogue catalogue) {
        this(catalogue, DEFAULT_INTRA_DC_GBPS);
    }

    /** @param defaultIntraGbps bandwidth inside a datacenter that gives none, Gbit/s */
    public ClusterPlanner(ChipCatalogue catalogue, double defaultIntraGbps) {
        this(catalogue, defaultIntraGbps, GroupLayoutSearch.Options.defaults());
    }

    public ClusterPlanner(ChipCatalogue catalogue, double defaultIntraGbps, GroupLayoutSearch.Options options) {
        this.catalogue = Objects.requireNonNull(catalogue, "catalogue");
        if (!(defaultIntraGbps > 0) || Double.isInfinite(defaultIntraGbps)) {
            throw new IllegalArgumentException("defaultIntraGbps must be positive and finite, got "
                    + defaultIntraGbps);
        }
        this.defaultIntraGbps = defaultIntraGbps;
        this.options = Objects.requireNonNull(options, "options");
    }

    /** The same planner over another catalogue, e.g. the built-in chips plus those registered over REST. */
    public ClusterPlanner withCatalogue(ChipCatalogue other) {
        return new ClusterPlanner(other, defaultIntraGbps, options);
    }

    public ChipCatalogue catalogue() {
        return catalogue;
    }

    /** True when the WAN time of one round stays within {@code ratio} of {@code h} compute steps. */
    public static boolean withinRatio(double wanSecondsPerRound, int h, double ratio, double computeSeconds) {
        return wanSecondsPerRound <= ratio * h * computeSeconds;
    }

    /**
     * The smallest {@code h} in {@code [1, MAX_H]} with {@link #withinRatio}; {@link #MAX_H} when none is.
     * Starts from the closed form {@code ceil(wan / (ratio · compute))} and corrects it against the very
     * comparison, so rounding cannot make it off by one.
     */
    public static int chooseH(double wanSecondsPerRound, double ratio, double computeSeconds) {
        if (withinRatio(wanSecondsPerRound, 1, ratio, computeSeconds)) {
            return 1;
        }
        double guess = Math.ceil(wanSecondsPerRound / (ratio * computeSeconds));
        int h = !(guess < MAX_H) ? MAX_H : Math.max(1, (int) guess);
        while (h > 1 && withinRatio(wanSecondsPerRound, h - 1, ratio, computeSeconds)) {
            h--;
        }
        while (h < MAX_H && !withinRatio(wanSecondsPerRound, h, ratio, computeSeconds)) {
            h++;
        }
        return h;
    }

    /** The default {@code H} of DiLoCo when there are no links to choose it from. */
    public static final int DEFAULT_H = SyncSpec.DEFAULT_H;

    public Result plan(Request request) {
        Objects.requireNonNull(request, "request");
        Job job = Objects.requireNonNull(request.job(), "job");
        ClusterInputs.checkJob(job);
        ClusterInputs.checkEmulation(request.emulation());
        return new ClusterPlan(this, request).run();
    }

    double defaultIntraGbps() {
        return defaultIntraGbps;
    }

    GroupLayoutSearch.Options options() {
        return options;
    }

    /** Strategy constants, for the plan's readers. */
    static boolean diloco(String strategy) {
        return JobSpec.DILOCO.equals(strategy);
    }
}
