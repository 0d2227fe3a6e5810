package io.crosstrain.planner;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.planner.ClusterPlan.Candidate;
import io.crosstrain.planner.ClusterPlan.Group;
import io.crosstrain.planner.ClusterPlan.Unit;
import io.crosstrain.planner.ClusterPlanner.Alternative;
import io.crosstrain.planner.ClusterPlanner.DatacenterPlan;
import io.crosstrain.planner.ClusterPlanner.DevicePlan;
import io.crosstrain.planner.ClusterPlanner.Emulation;
import io.crosstrain.planner.ClusterPlanner.Job;
import io.crosstrain.planner.ClusterPlanner.Layout;
import io.crosstrain.planner.ClusterPlanner.Link;
import io.crosstrain.planner.ClusterPlanner.Prediction;
import io.crosstrain.planner.ClusterPlanner.Request;
import io.crosstrain.planner.ClusterPlanner.Result;
import io.crosstrain.planner.ClusterPlanner.Stage;
import io.crosstrain.planner.hybrid.GroupLayoutSearch;
import io.crosstrain.planner.hybrid.ReplicaCost;
import io.crosstrain.planner.hybrid.StageChip;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The second half of {@link ClusterPlanner#plan}: the units of every datacenter's layout, the exact split of the
 * global batch over them, and the step they give — compute, intra-datacenter sync, the WAN, the strategy and
 * {@code H}, the equal-split baseline, the emulation's time scale — turned into the {@link Result}.
 */
final class ClusterStep {

    /** Rounds of split-then-re-price: a pipelined replica's speed depends on its batch through the bubble. */
    private static final int ROUNDS = 3;

    private final ClusterPlanner planner;
    private final Request request;
    private final Job job;
    private final ModelProfile model;
    private final double memoryScale;
    private final List<Group> groups;
    private final Map<String, Link> links;
    private final List<String> assumptions;
    private final int measured;
    private final boolean subset;

    ClusterStep(ClusterPlanner planner, Request request, ModelProfile model, double memoryScale, List<Group> groups,
                Map<String, Link> links, List<String> assumptions, int measured, boolean subset) {
        this.planner = planner;
        this.request = request;
        this.job = request.job();
        this.model = model;
        this.memoryScale = memoryScale;
        this.groups = groups;
        this.links = links;
        this.assumptions = assumptions;
        this.measured = measured;
        this.subset = subset;
    }

    /** A split of the batch over the units and what it gives. */
    private record Split(int[] batch, double[] seconds, double[] compute, double[] intra, int[] dcBatch,
                         SyncModel sync) {
    }

    Result run() {
        List<Unit> units = units();
        boolean equal = ClusterInputs.allocation(job.allocation());
        String failure = allocate(units, equal);
        if (failure != null) {
            return Result.infeasible(subset ? "after placement, " + failure : failure);
        }
        Split split = price(units, shares(units));
        if (split.sync().missingPair() != null) {
            return Result.infeasible("no WAN link between " + split.sync().missingPair() + "; the datacenters that "
                    + "hold samples " + split.sync().participants() + " need a link between every pair");
        }
        // every device placement chose counts, also those a layout leaves idle: idling one is not free
        double speedSum = groups.stream().mapToDouble(g -> speed(g.devices()) + speed(g.idle())).sum();
        double compute = 0;
        for (double c : split.compute()) {
            compute = Math.max(compute, c);
        }
        double ratio = job.targetCommRatio() == null ? ClusterPlanner.DEFAULT_TARGET_COMM_RATIO
                : job.targetCommRatio();
        double codec = job.codecBytesPerParameter() == null ? ClusterPlanner.FP32_BYTES
                : job.codecBytesPerParameter();
        double gradientBytes = ClusterPlanner.FP32_BYTES * model.parameters();
        boolean wanUsed = split.sync().participants().size() > 1;
        double syncWan = wanUsed ? split.sync().wanSeconds(gradientBytes) : 0.0;
        String strategy = ClusterInputs.strategy(job.strategy());
        boolean noLinks = wanUsed && links.isEmpty();
        if (strategy.equals(JobSpec.AUTO)) {
            // an unknown WAN is not assumed free: across datacenters without links auto takes DiLoCo
            strategy = !wanUsed || (!noLinks && ClusterPlanner.withinRatio(syncWan, 1, ratio, compute))
                    ? JobSpec.SYNC_DP : JobSpec.DILOCO;
        }
        int h = 1;
        double roundBytes;
        double wanRound;
        if (strategy.equals(JobSpec.SYNC_DP)) {
            roundBytes = wanUsed ? gradientBytes : 0;
            wanRound = syncWan;
        } else {
            roundBytes = wanUsed ? codec * model.parameters() : 0;
            wanRound = wanUsed ? split.sync().wanSeconds(roundBytes) : 0.0;
            h = job.h() != null ? job.h() : noLinks ? ClusterPlanner.DEFAULT_H
                    : ClusterPlanner.chooseH(wanRound, ratio, compute);
            if (job.h() == null && !noLinks && !ClusterPlanner.withinRatio(wanRound, h, ratio, compute)) {
                assumptions.add("H is capped at " + ClusterPlanner.MAX_H + ": the WAN still takes "
                        + ClusterInputs.percent(wanRound / (h * compute)) + " of compute time, above the target "
                        + ClusterInputs.percent(ratio));
            }
        }
        double stepSeconds = split.sync().innerSeconds() + wanRound / h;
        double eta = (job.globalBatch() / stepSeconds) / speedSum;
        double equalEta = equalSplitEta(units, strategy, h, codec, gradientBytes, speedSum);

        // emulation: the time scale k and every device's paced step
        Emulation emulation = request.emulation();
        Double k = null;
        if (emulation != null) {
            try {
                k = timeScale(units, split, emulation);
            } catch (IllegalArgumentException e) {
                return Result.infeasible("cannot calibrate the emulation time scale: " + e.getMessage());
            }
        }
        describe(strategy, h, codec, gradientBytes, wanUsed, noLinks, split, roundBytes, emulation != null);

        double bubble = 0;
        double slowest = 0;
        for (int u = 0; u < units.size(); u++) {
            if (units.get(u).pipelined() && split.seconds()[u] > slowest) {
                slowest = split.seconds()[u];
                bubble = units.get(u).replica.bubbleFraction();
            }
        }
        Prediction prediction = new Prediction(strategy, h, stepSeconds, compute, split.sync().maxIntraSync(),
                wanRound, roundBytes, roundBytes / h, syncWan, job.globalBatch() / stepSeconds, eta, equalEta,
                bubble);
        List<DevicePlan> devices = devicePlans(units, split, k);
        return new Result(true, null, List.copyOf(devices), datacenterPlans(split), prediction,
                List.copyOf(assumptions), layouts(units, split), k, k == null ? 0 : stepSeconds / k, memoryScale);
    }

    // ---------------------------------------------------------------- units and the split

    private List<Unit> units() {
        List<Unit> units = new ArrayList<>();
        for (int d = 0; d < groups.size(); d++) {
            Group g = groups.get(d);
            if (!g.pipelined()) {
                for (Candidate c : g.devices()) {
                    units.add(new Unit(d, c));
                }
                continue;
            }
            Map<String, Candidate> byId = ClusterPlan.byId(g.devices());
            List<ReplicaCost.Replica> replicas = g.layout().replicas();
            for (int r = 0; r < replicas.size(); r++) {
                List<Candidate> order = replicas.get(r).stages().stream().map(s -> byId.get(s.device().id()))
                        .toList();
                units.add(new Unit(d, order, g.layout().maxMicroBatch(), replicas.get(r),
                        g.keptBlocks() == null ? null : g.keptBlocks().get(r),
                        g.keptIds() == null ? null : g.keptIds().get(r)));
            }
        }
        return units;
    }

    /**
     * Splits the global batch over the units, balanced (the exact min-max allocation) or equal, re-pricing every
     * pipelined replica at its share; null when the split can be made, else why not.
     */
    private String allocate(List<Unit> units, boolean equal) {
        int n = units.size();
        int g = job.globalBatch();
        for (int round = 0; round < ROUNDS; round++) {
            double[] speeds = new double[n];
            int[] caps = new int[n];
            for (int u = 0; u < n; u++) {
                Unit unit = units.get(u);
                speeds[u] = unit.speed;
                caps[u] = unit.pipelined() ? g : unit.device.cap();
            }
            Allocation a = equal ? BatchAllocator.equalSplit(speeds, caps, g, job.allowGradientAccumulation())
                    : BatchAllocator.balanced(speeds, caps, g, job.allowGradientAccumulation());
            if (!a.feasible()) {
                return a.reason();
            }
            int[] batch = a.batch();
            boolean changed = false;
            for (int u = 0; u < n; u++) {
                Unit unit = units.get(u);
                if (!unit.pipelined()) {
                    unit.share = batch[u];
                    continue;
                }
                String problem = reprice(unit, batch[u]);
                if (problem != null) {
                    return problem;
                }
                changed |= unit.share != batch[u];
                unit.share = batch[u];
            }
            if (!changed && round > 0) {
                break;
            }
        }
        return null;
    }

    /** Lays the replica out for {@code batch} samples; its speed follows unless it is idle. */
    private String reprice(Unit unit, int batch) {
        Group g = groups.get(unit.dc);
        ReplicaCost.Replica r = ReplicaCost.evaluate(job.layers(), unit.order(), unit.maxMicroBatch, batch,
                g.intraGbps(), unit.blocks);
        if (!r.feasible()) {
            return "datacenter " + g.id() + ": " + r.reason();
        }
        unit.replica = r;
        if (batch > 0) {
            unit.speed = r.samplesPerSec();
        }
        return null;
    }

    private static int[] shares(List<Unit> units) {
        return units.stream().mapToInt(u -> u.share).toArray();
    }

    /** Per unit its step, per datacenter its compute and all-reduce, and the WAN between them. */
    private Split price(List<Unit> units, int[] batch) {
        int n = units.size();
        double[] seconds = new double[n];
        double[] compute = new double[groups.size()];
        double[] intra = new double[groups.size()];
        int[] dcBatch = new int[groups.size()];
        int[] active = new int[groups.size()];
        for (int u = 0; u < n; u++) {
            Unit unit = units.get(u);
            seconds[u] = unit.pipelined() ? (batch[u] == 0 ? 0 : unit.replica.seconds())
                    : batch[u] / unit.device.speed();
            compute[unit.dc] = Math.max(compute[unit.dc], seconds[u]);
            dcBatch[unit.dc] += batch[u];
            if (batch[u] > 0) {
                active[unit.dc]++;
            }
        }
        if (request.emulation() == null) {
            for (int d = 0; d < groups.size(); d++) {
                intra[d] = intraSync(d, units, active[d]);
            }
        }
        List<String> ids = groups.stream().map(Group::id).toList();
        return new Split(batch, seconds, compute, intra, dcBatch,
                SyncModel.of(ids, compute, intra, dcBatch, links));
    }

    /**
     * The ring all-reduce inside datacenter {@code d} among its active replicas: the whole fp32 gradient for whole
     * replicas, each stage's part of it for pipelined ones (the largest part decides).
     */
    private double intraSync(int d, List<Unit> units, int activeReplicas) {
        Group g = groups.get(d);
        if (!g.pipelined()) {
            return SyncModel.ring(activeReplicas, ClusterPlanner.FP32_BYTES * model.parameters(), g.intraGbps());
        }
        double largest = 0;
        for (Unit u : units) {
            if (u.dc == d) {
                for (ReplicaCost.Stage s : u.replica.stages()) {
                    largest = Math.max(largest, job.layers().parameters(s.firstLayer(), s.lastLayer()));
                }
            }
        }
        return SyncModel.ring(activeReplicas, ClusterPlanner.FP32_BYTES * largest, g.intraGbps());
    }

    /** η of the equal split of the batch over the same units, with the same strategy and H. */
    private double equalSplitEta(List<Unit> units, String strategy, int h, double codec, double gradientBytes,
                                 double speedSum) {
        List<Unit> copies = copies(units);
        String failure = allocate(copies, true);
        if (failure != null) {
            assumptions.add("the equal split cannot run: " + failure);
            return 0;
        }
        Split eq = price(copies, shares(copies));
        if (eq.sync().missingPair() != null) {
            assumptions.add("the equal split cannot run: no WAN link between " + eq.sync().missingPair());
            return 0;
        }
        double wan = eq.sync().participants().size() <= 1 ? 0.0 : strategy.equals(JobSpec.SYNC_DP)
                ? eq.sync().wanSeconds(gradientBytes) : eq.sync().wanSeconds(codec * model.parameters());
        return (job.globalBatch() / (eq.sync().innerSeconds() + wan / h)) / speedSum;
    }

    /** Fresh units of the same layouts, to split another way. */
    private static List<Unit> copies(List<Unit> units) {
        List<Unit> copies = new ArrayList<>();
        for (Unit u : units) {
            copies.add(u.pipelined() ? new Unit(u.dc, u.stages, u.maxMicroBatch, u.replica, u.blocks, u.keptId)
                    : new Unit(u.dc, u.device));
        }
        return copies;
    }

    // ---------------------------------------------------------------- emulation

    /** {@code k} as given, else the fastest the host's CPU sustains (EmulationScale) and no faster than minStep. */
    private double timeScale(List<Unit> units, Split split, Emulation e) {
        if (e.timeScale() != null) {
            return e.timeScale();
        }
        if (ClusterInputs.allocation(job.allocation())) {
            // always from the balanced split: a balanced job and its equal-split baseline share k
            List<Unit> copies = copies(units);
            allocate(copies, false);
            return calibrated(copies, price(copies, shares(copies)), e);
        }
        return calibrated(units, split, e);
    }

    /** The fastest k the host's CPU sustains for this split (EmulationScale), and no faster than the minimum step. */
    private double calibrated(List<Unit> units, Split split, Emulation e) {
        int n = units.size();
        int[] batch = split.batch();
        double[] speeds = new double[n];
        double[] cpu = new double[n];
        for (int u = 0; u < n; u++) {
            Unit unit = units.get(u);
            speeds[u] = batch[u] > 0 ? batch[u] / split.seconds()[u] : unit.speed;
            cpu[u] = unit.pipelined() ? replicaCpu(unit) : unit.device.device().cpuSecondsPerSample();
        }
        double k = EmulationScale.timeScale(batch, speeds, cpu, e.hostCores(), e.cpuBudget());
        return EmulationScale.atMostFor(k, batch, speeds, e.minStepSeconds());
    }

    /** CPU seconds a sample costs a pipelined replica: each stage's device does its share of the FLOPs. */
    private double replicaCpu(Unit unit) {
        double cpu = 0;
        for (ReplicaCost.Stage s : unit.replica.stages()) {
            double share = job.layers().flops(s.firstLayer(), s.lastLayer()) / job.layers().flops();
            cpu += share * unit.stages.get(s.index()).device().cpuSecondsPerSample();
        }
        return cpu;
    }

    // ---------------------------------------------------------------- the result

    private List<DevicePlan> devicePlans(List<Unit> units, Split split, Double k) {
        List<DevicePlan> out = new ArrayList<>();
        int[] replicaNo = new int[groups.size()];
        for (int u = 0; u < units.size(); u++) {
            Unit unit = units.get(u);
            Group g = groups.get(unit.dc);
            int b = split.batch()[u];
            double paced = k == null ? 0 : split.seconds()[u] / k;
            if (!unit.pipelined()) {
                Candidate c = unit.device;
                int cap = Math.max(1, c.cap());
                int micro = b == 0 ? 0 : job.allowGradientAccumulation() ? (b + cap - 1) / cap : 1;
                out.add(new DevicePlan(c.device().id(), g.id(), c.device().nodeId(), c.device().chip(), b, micro,
                        c.speed(), c.cap(), c.device().samplesPerSec() != null, out.size(), c.device().id(), null,
                        paced));
                continue;
            }
            String replica = unit.keptId != null ? unit.keptId : g.id() + "-r" + replicaNo[unit.dc];
            replicaNo[unit.dc]++;
            ReplicaCost.Replica r = unit.replica;
            List<ReplicaCost.Stage> stages = r.stages();
            for (ReplicaCost.Stage s : stages) {
                Candidate c = unit.stages.get(s.index());
                LayerModel l = job.layers();
                long offset = s.firstLayer() == 0 ? 0
                        : Math.round(l.firstParameters() + s.firstLayer() * l.blockParameters());
                Stage stage = new Stage(s.index(), stages.size(), s.firstLayer(), s.lastLayer(), offset,
                        Math.round(l.parameters(s.firstLayer(), s.lastLayer())),
                        s.index() == 0 ? null : unit.stages.get(s.index() - 1).device().id(),
                        s.index() == stages.size() - 1 ? null : unit.stages.get(s.index() + 1).device().id(),
                        s.memoryBytes(), s.device().capacityBytes(), s.time());
                out.add(new DevicePlan(c.device().id(), g.id(), c.device().nodeId(), c.device().chip(), b,
                        r.microBatches(), c.speed(), r.microBatchSize(), c.device().samplesPerSec() != null,
                        out.size(), replica, stage, paced));
            }
        }
        return out;
    }

    private List<DatacenterPlan> datacenterPlans(Split split) {
        List<DatacenterPlan> out = new ArrayList<>();
        for (int d = 0; d < groups.size(); d++) {
            Group g = groups.get(d);
            out.add(new DatacenterPlan(g.id(), g.devices().size(), split.dcBatch()[d],
                    g.devices().stream().mapToDouble(Candidate::speed).sum(), split.compute()[d], split.intra()[d]));
        }
        return List.copyOf(out);
    }

    private List<Layout> layouts(List<Unit> units, Split split) {
        List<Layout> out = new ArrayList<>();
        for (int d = 0; d < groups.size(); d++) {
            Group g = groups.get(d);
            double dcSpeed = speed(g.devices()) + speed(g.idle());
            int batch = split.dcBatch()[d];
            double seconds = split.compute()[d];
            double samples = seconds > 0 ? batch / seconds : 0;
            int replicas = 0;
            int maxMicro = 0;
            double bubble = 0;
            double slowest = 0;
            for (int u = 0; u < units.size(); u++) {
                Unit unit = units.get(u);
                if (unit.dc != d) {
                    continue;
                }
                replicas++;
                if (unit.pipelined()) {
                    maxMicro = unit.replica.microBatchSize();
                    if (split.seconds()[u] > slowest) {
                        slowest = split.seconds()[u];
                        bubble = unit.replica.bubbleFraction();
                    }
                }
            }
            int stages = g.pipelined() ? g.layout().stages() : 1;
            Alternative equalLayers = null;
            Alternative wholeOnly = null;
            if (job.layers() != null && batch > 0) {
                // the alternatives run under the job's own rules: no accumulation unless it allows it
                GroupLayoutSearch search = new GroupLayoutSearch(job.layers(), g.intraGbps(),
                        planner.options().withAccumulation(job.allowGradientAccumulation()));
                List<StageChip> chips = new ArrayList<>();
                g.devices().forEach(c -> chips.add(c.chip()));
                g.idle().forEach(c -> chips.add(c.chip()));
                double allSpeed = dcSpeed;
                if (stages > 1) {
                    GroupLayoutSearch.Layout same = search.withStages(chips, batch, stages);
                    equalLayers = alternative(search.equalLayers(same, batch), stages, allSpeed);
                }
                wholeOnly = alternative(search.withStages(chips, batch, 1), 1, allSpeed);
            }
            out.add(new Layout(g.id(), stages, replicas, g.pipelined() ? maxMicro : 0, batch, seconds, bubble,
                    samples, dcSpeed > 0 ? samples / dcSpeed : 0,
                    g.idle().stream().map(c -> c.device().id()).toList(), equalLayers, wholeOnly));
        }
        return List.copyOf(out);
    }

    private static double speed(List<Candidate> devices) {
        return devices.stream().mapToDouble(Candidate::speed).sum();
    }

    private static Alternative alternative(GroupLayoutSearch.Layout l, int stages, double speed) {
        if (!l.feasible()) {
            return new Alternative(false, l.reason(), stages, 0, 0);
        }
        return new Alternative(true, null, stages, l.samplesPerSec(), speed > 0 ? l.samplesPerSec() / speed : 0);
    }

    private void describe(String strategy, int h, double codec, double gradientBytes, boolean wanUsed,
                          boolean noLinks, Split split, double roundBytes, boolean emulated) {
        int n = groups.stream().mapToInt(g -> g.devices().size()).sum();
        assumptions.add("speeds: " + measured + " measured, " + (n - measured) + " from the roofline prior "
                + "(utilisation " + CostModel.REFERENCE_UTILISATION + ")");
        for (Group g : groups) {
            if (g.pipelined()) {
                GroupLayoutSearch.Layout l = g.layout();
                assumptions.add(String.format(Locale.ROOT, "%s: %d replica%s of %d pipeline stages (1F1B, "
                                + "micro-batches of at most %d)%s", g.id(), l.replicas().size(),
                        l.replicas().size() == 1 ? "" : "s", l.stages(), l.maxMicroBatch(),
                        g.idle().isEmpty() ? "" : "; " + g.idle().size() + " device(s) idle"));
            }
        }
        if (memoryScale != 1.0) {
            assumptions.add("memory scale " + ClusterInputs.number(memoryScale) + ": every device holds its chip's "
                    + "memory times that");
        }
        if (emulated) {
            assumptions.add("emulated chips: the all-reduce inside a datacenter is not emulated (the relays' Kafka "
                    + "round runs inside each step's paced slack), so it is left out");
        } else {
            assumptions.add("intra-datacenter sync: ring all-reduce of the fp32 gradient (" + ClusterInputs.bytes(
                    gradientBytes) + ", per stage in pipelined datacenters) at " + ClusterInputs.number(
                    planner.defaultIntraGbps()) + " Gbit/s unless the datacenter gives its own, bandwidth only");
        }
        if (!wanUsed) {
            assumptions.add("one datacenter holds samples: no WAN exchange");
        } else if (noLinks) {
            assumptions.add("no WAN links were given: WAN time assumed 0"
                    + (ClusterInputs.strategy(job.strategy()).equals(JobSpec.AUTO)
                            ? "; with the WAN unknown, auto takes DiLoCo" : "")
                    + (ClusterPlan.diloco(strategy) && job.h() == null ? " with the default H = " + h : ""));
        } else {
            Link slow = split.sync().slowest(roundBytes);
            assumptions.add("WAN: every exchange waits for the slowest link, " + slow.from() + "–" + slow.to()
                    + " at " + ClusterInputs.number(slow.gbps()) + " Gbit/s and "
                    + ClusterInputs.number(slow.latencyMs()) + " ms");
        }
        if (ClusterPlan.diloco(strategy)) {
            assumptions.add("DiLoCo exchanges " + ClusterInputs.number(codec) + " bytes per parameter every " + h
                    + " inner steps; wanBytesPerStep is what each datacenter sends, amortised over H");
        } else {
            assumptions.add("sync-DP exchanges the fp32 gradient every step; wanBytesPerStep is what each "
                    + "datacenter sends");
        }
    }
}
