package io.crosstrain.planner;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.Placement;
import io.crosstrain.planner.ClusterPlanner.Device;
import io.crosstrain.planner.ClusterPlanner.Job;
import io.crosstrain.planner.ClusterPlanner.Link;
import io.crosstrain.planner.ClusterPlanner.Request;
import io.crosstrain.planner.ClusterPlanner.Result;
import io.crosstrain.planner.hybrid.GroupLayoutSearch;
import io.crosstrain.planner.hybrid.ReplicaCost;
import io.crosstrain.planner.hybrid.StageChip;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One run of {@link ClusterPlanner#plan}: placement, a layout per datacenter, the units those layouts give (whole
 * replicas and pipelined replicas) and the exact split of the global batch over them; {@link ClusterStep} then
 * prices the step.
 */
final class ClusterPlan {

    /** A chosen device with its whole-model speed and, as a whole replica, its memory cap. */
    record Candidate(Device device, double speed, int cap, StageChip chip) {
    }

    /**
     * What the batch is split over: a whole replica (one device) or a pipelined replica (its devices in stage
     * order).
     */
    static final class Unit {
        final int dc;
        final Candidate device;
        final List<Candidate> stages;
        final int maxMicroBatch;
        /** Blocks per stage when the replica is kept as it was; null = split afresh at every share. */
        final int[] blocks;
        /** The replica's id when it is kept as it was; null = numbered afresh. */
        final String keptId;
        double speed;
        int share;
        ReplicaCost.Replica replica;

        Unit(int dc, Candidate device) {
            this.dc = dc;
            this.device = device;
            this.stages = null;
            this.maxMicroBatch = 0;
            this.blocks = null;
            this.keptId = null;
            this.speed = device.speed();
        }

        Unit(int dc, List<Candidate> stages, int maxMicroBatch, ReplicaCost.Replica estimate, int[] blocks,
             String keptId) {
            this.dc = dc;
            this.device = null;
            this.stages = List.copyOf(stages);
            this.maxMicroBatch = maxMicroBatch;
            this.blocks = blocks;
            this.keptId = keptId;
            this.replica = estimate;
            this.speed = estimate.samplesPerSec() > 0 ? estimate.samplesPerSec()
                    : stages.stream().mapToDouble(Candidate::speed).min().orElse(1);
        }

        boolean pipelined() {
            return stages != null;
        }

        List<StageChip> order() {
            return stages.stream().map(Candidate::chip).toList();
        }
    }

    /** A datacenter and how it is laid out. */
    record Group(String id, double intraGbps, List<Candidate> devices, GroupLayoutSearch.Layout layout,
                 List<Candidate> idle, List<int[]> keptBlocks, List<String> keptIds) {

        Group(String id, double intraGbps, List<Candidate> devices, GroupLayoutSearch.Layout layout,
              List<Candidate> idle) {
            this(id, intraGbps, devices, layout, idle, null, null);
        }

        boolean pipelined() {
            return layout != null && layout.stages() > 1;
        }
    }

    private final ClusterPlanner planner;
    private final Request request;
    private final Job job;
    private final ModelProfile model;
    private final double memoryScale;
    private final List<String> assumptions = new ArrayList<>();

    ClusterPlan(ClusterPlanner planner, Request request) {
        this.planner = planner;
        this.request = request;
        this.job = request.job();
        this.model = job.profile();
        this.memoryScale = job.memoryScaleOrDefault();
    }

    Result run() {
        Map<String, Double> intraGbps = ClusterInputs.datacenters(request, planner.defaultIntraGbps());
        Map<String, Link> links = ClusterInputs.links(request.links(), intraGbps.keySet());
        List<Device> all = ClusterInputs.devices(request.devices(), intraGbps.keySet());
        Placed placed = place(all);
        if (placed.reason() != null) {
            return Result.infeasible(placed.reason());
        }
        List<Candidate> candidates = placed.candidates();

        // one group per datacenter, in id order
        Map<String, List<Candidate>> byDc = new TreeMap<>();
        candidates.forEach(c -> byDc.computeIfAbsent(c.device().datacenter(), k -> new ArrayList<>()).add(c));
        double speedSum = candidates.stream().mapToDouble(Candidate::speed).sum();
        List<Group> groups = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        for (Map.Entry<String, List<Candidate>> e : byDc.entrySet()) {
            List<Candidate> dcDevices = e.getValue();
            dcDevices.sort(Comparator.comparing(c -> c.device().id()));
            double dcSpeed = dcDevices.stream().mapToDouble(Candidate::speed).sum();
            int estimate = (int) Math.max(1, Math.round(job.globalBatch() * dcSpeed / speedSum));
            Group g = layOut(e.getKey(), intraGbps.get(e.getKey()), dcDevices, estimate);
            if (g == null) {
                dropped.add(e.getKey());
            } else {
                groups.add(g);
            }
        }
        if (groups.isEmpty()) {
            return Result.infeasible(String.join("; ", lastReasons));
        }
        for (int i = 0; i < dropped.size(); i++) {
            assumptions.add("datacenter " + dropped.get(i) + " is left out: " + lastReasons.get(i));
        }
        return new ClusterStep(planner, request, model, memoryScale, groups, links, assumptions,
                placed.measured(), candidates.size() < all.size() || !dropped.isEmpty()).run();
    }

    private final List<String> lastReasons = new ArrayList<>();

    /** The datacenter's layout, or null (with its reason kept) when the model fits none. */
    private Group layOut(String id, double gbps, List<Candidate> devices, int estimate) {
        LayerModel layers = job.layers();
        List<ClusterPlanner.KeptReplica> kept = job.keep() == null ? null : job.keep().get(id);
        if (kept != null && layers != null) {
            return keep(id, gbps, devices, estimate, kept);
        }
        boolean wholeOnly = layers == null || (job.stages() != null && job.stages() == 1);
        if (wholeOnly) {
            List<Candidate> fitting = devices.stream().filter(c -> c.cap() > 0).toList();
            if (fitting.isEmpty()) {
                lastReasons.add(id + ": the model leaves no room for a sample on any of its " + devices.size()
                        + " devices");
                return null;
            }
            return new Group(id, gbps, fitting, null, List.of());
        }
        GroupLayoutSearch search = new GroupLayoutSearch(layers, gbps,
                planner.options().withAccumulation(job.allowGradientAccumulation()));
        List<StageChip> chips = devices.stream().map(Candidate::chip).toList();
        GroupLayoutSearch.Layout layout = job.stages() != null ? search.withStages(chips, estimate, job.stages())
                : search.best(chips, estimate);
        if (!layout.feasible()) {
            lastReasons.add(id + ": " + layout.reason());
            return null;
        }
        if (layout.stages() == 1) {
            // whole replicas: the exact allocation over the devices, as without stages
            return new Group(id, gbps, devices.stream().filter(c -> c.cap() > 0).toList(), null, List.of());
        }
        Map<String, Candidate> byId = new HashMap<>();
        devices.forEach(c -> byId.put(c.device().id(), c));
        List<Candidate> idle = layout.idle().stream().map(s -> byId.get(s.id())).toList();
        List<Candidate> used = devices.stream().filter(c -> !idle.contains(c)).toList();
        return new Group(id, gbps, used, layout, idle);
    }

    /** The kept replicas whose devices are all still here; the others' devices are left out. */
    private Group keep(String id, double gbps, List<Candidate> devices, int estimate,
                       List<ClusterPlanner.KeptReplica> kept) {
        Map<String, Candidate> byId = byId(devices);
        List<List<StageChip>> orders = new ArrayList<>();
        List<int[]> blocks = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        List<Candidate> used = new ArrayList<>();
        int maxMicro = 1;
        for (ClusterPlanner.KeptReplica r : kept) {
            if (!r.devices().stream().allMatch(byId::containsKey)) {
                continue;
            }
            orders.add(r.devices().stream().map(d -> byId.get(d).chip()).toList());
            blocks.add(r.blocks());
            ids.add(r.id());
            r.devices().forEach(d -> used.add(byId.get(d)));
            maxMicro = Math.max(maxMicro, r.maxMicroBatch());
        }
        GroupLayoutSearch search = new GroupLayoutSearch(job.layers(), gbps, planner.options());
        GroupLayoutSearch.Layout layout = search.fixed(orders, blocks, maxMicro, estimate);
        if (!layout.feasible()) {
            lastReasons.add(id + ": " + layout.reason());
            return null;
        }
        List<Candidate> idle = devices.stream().filter(c -> !used.contains(c)).toList();
        if (!idle.isEmpty()) {
            assumptions.add(id + ": " + idle.size() + " device(s) of replicas that lost a stage are left out");
        }
        return new Group(id, gbps, used, layout, idle, blocks, ids);
    }

    /** Placement: each excluded device counts against the first constraint it fails. */
    private record Placed(List<Candidate> candidates, int measured, String reason) {
    }

    private Placed place(List<Device> all) {
        PlacementRules rules = new PlacementRules(job.placement());
        Placement placement = rules.placement();
        Map<String, String> labels = placement.labels() == null ? Map.of() : placement.labels();
        Double minMemory = placement.minMemoryGb();
        int minDevices = placement.minDevices() == null ? 1 : placement.minDevices();
        Integer maxDevices = placement.maxDevices();
        if (minDevices < 1 || (maxDevices != null && maxDevices < minDevices)) {
            throw new IllegalArgumentException("placement needs 1 ≤ minDevices ≤ maxDevices, got " + minDevices
                    + " and " + maxDevices);
        }
        if (minMemory != null && !(minMemory >= 0 && !minMemory.isInfinite())) {
            throw new IllegalArgumentException("placement.minMemoryGb must be ≥ 0 and finite, got " + minMemory);
        }
        Map<String, Double> rooflineByChip = new HashMap<>();
        Map<String, Integer> capByChip = new HashMap<>();
        int byDc = 0;
        int byChip = 0;
        int byLabel = 0;
        int byMemory = 0;
        int noRoom = 0;
        List<Candidate> candidates = new ArrayList<>(all.size());
        for (Device d : all) {
            PlacementRules.Constraint failed = rules.firstFailed(d.datacenter(), d.chip(), d.labels(),
                    () -> memoryGb(d));
            if (failed == PlacementRules.Constraint.DATACENTERS) {
                byDc++;
            } else if (failed == PlacementRules.Constraint.CHIPS) {
                byChip++;
            } else if (failed == PlacementRules.Constraint.LABELS) {
                byLabel++;
            } else if (failed == PlacementRules.Constraint.MIN_MEMORY) {
                byMemory++;
            } else {
                int cap = cap(d, capByChip);
                // without blocks a device must hold the whole model; with them it can hold a stage
                if (cap == 0 && job.layers() == null) {
                    noRoom++;
                } else {
                    double speed = speed(d, rooflineByChip);
                    candidates.add(new Candidate(d, speed, cap, stageChip(d, speed)));
                }
            }
        }
        List<String> excluded = new ArrayList<>();
        exclusion(excluded, byDc, "by datacenters " + placement.datacenters());
        exclusion(excluded, byChip, "by chips " + placement.chips());
        exclusion(excluded, byLabel, "by labels " + new TreeMap<>(labels));
        exclusion(excluded, byMemory, "by minMemoryGb " + (minMemory == null ? "" : ClusterInputs.number(minMemory)));
        exclusion(excluded, noRoom, "because the model leaves no room for a sample in their memory");
        String exclusions = excluded.isEmpty() ? "" : ": " + String.join(", ", excluded);
        if (candidates.size() < minDevices) {
            return new Placed(List.of(), 0, "needs at least " + minDevices + (minDevices == 1 ? " device, "
                    : " devices, ") + candidates.size() + " of " + all.size() + " remain" + exclusions);
        }
        int kept = candidates.size();
        if (maxDevices != null && candidates.size() > maxDevices) {
            candidates.sort(Comparator.comparingDouble(Candidate::speed).reversed()
                    .thenComparing(c -> c.device().id()));
            candidates = new ArrayList<>(candidates.subList(0, maxDevices));
        }
        if (candidates.size() < all.size()) {
            assumptions.add("placement chose " + candidates.size() + " of " + all.size() + " devices"
                    + (excluded.isEmpty() ? "" : " (" + String.join(", ", excluded) + ")")
                    + (candidates.size() < kept ? "; maxDevices " + maxDevices + " kept the fastest" : ""));
        }
        candidates.sort(Comparator.comparing((Candidate c) -> c.device().datacenter())
                .thenComparing(c -> c.device().id()));
        int measured = (int) candidates.stream().filter(c -> c.device().samplesPerSec() != null).count();
        return new Placed(candidates, measured, null);
    }

    private static void exclusion(List<String> out, int count, String why) {
        if (count > 0) {
            out.add(count + (out.isEmpty() ? " excluded " : " ") + why);
        }
    }

    private double speed(Device d, Map<String, Double> byChip) {
        if (d.samplesPerSec() != null) {
            return d.samplesPerSec();
        }
        ChipSpec chip = chip(d);
        return byChip.computeIfAbsent(ClusterInputs.key(chip.name()),
                k -> CostModel.rooflineSamplesPerSec(chip, model));
    }

    private int cap(Device d, Map<String, Integer> byChip) {
        if (d.maxMicroBatch() != null) {
            return d.maxMicroBatch();
        }
        ChipSpec catalogued = chip(d);
        ChipSpec chip = scaled(d.memoryGb() == null ? catalogued : new ChipSpec(catalogued.name(),
                catalogued.tflops(), d.memoryGb(), catalogued.memBandwidthTBps(), catalogued.unverified(),
                catalogued.source()));
        return byChip.computeIfAbsent(ClusterInputs.key(chip.name()) + "|" + chip.memoryGb(),
                k -> CostModel.memoryCap(chip, model));
    }

    /** The chip with the job's emulated memory. */
    private ChipSpec scaled(ChipSpec chip) {
        return memoryScale == 1.0 ? chip : new ChipSpec(chip.name(), chip.tflops(), chip.memoryGb() * memoryScale,
                chip.memBandwidthTBps(), chip.unverified(), chip.source());
    }

    private StageChip stageChip(Device d, double speed) {
        ChipSpec chip = catalogue().find(d.chip())
                .map(c -> d.memoryGb() == null ? c : new ChipSpec(c.name(), c.tflops(), d.memoryGb(),
                        c.memBandwidthTBps(), c.unverified(), c.source()))
                .orElse(null);
        if (chip == null || job.layers() == null) {
            // a chip the catalogue does not know can only be a whole replica at its measured speed
            ChipSpec stand = chip != null ? chip : new ChipSpec(d.chip() == null ? d.id() : d.chip(), 1, 1, 1, true,
                    "not in the catalogue");
            return new StageChip(d.id(), stand, memoryScale, 1.0);
        }
        StageChip roofline = new StageChip(d.id(), chip, memoryScale, 1.0);
        double slowdown = d.samplesPerSec() == null ? 1.0 : roofline.wholeModelSamplesPerSec(job.layers()) / speed;
        return new StageChip(d.id(), chip, memoryScale, slowdown);
    }

    private double memoryGb(Device d) {
        return d.memoryGb() != null ? d.memoryGb() : chip(d).memoryGb();
    }

    private ChipSpec chip(Device d) {
        try {
            return catalogue().get(d.chip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("device " + d.id() + ": " + e.getMessage(), e);
        }
    }

    private ChipCatalogue catalogue() {
        return planner.catalogue();
    }

    /** Devices of one datacenter ordered by id, as a map for look-ups by id. */
    static Map<String, Candidate> byId(List<Candidate> devices) {
        Map<String, Candidate> out = new LinkedHashMap<>();
        devices.forEach(c -> out.put(c.device().id(), c));
        return out;
    }

    static boolean diloco(String strategy) {
        return JobSpec.DILOCO.equals(strategy);
    }
}
