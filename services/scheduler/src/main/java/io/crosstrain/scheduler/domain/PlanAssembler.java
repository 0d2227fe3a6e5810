package io.crosstrain.scheduler.domain;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import io.crosstrain.contracts.CheckpointSpec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.PlanLayout;
import io.crosstrain.contracts.PlanStage;
import io.crosstrain.contracts.ResumePoint;
import io.crosstrain.contracts.SyncSpec;
import io.crosstrain.contracts.WanLink;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ClusterPlanner;
import io.crosstrain.planner.LayerModel;
import io.crosstrain.planner.ModelProfile;

/**
 * Turns a job spec and the devices chosen for it into a {@link ClusterPlanner} request — the same planner that answers
 * {@code plans/simulate} — and the planner's answer into the {@link Plan} workers and relays execute. Plain Java: no
 * I/O, so every rule here is unit-tested directly.
 */
public final class PlanAssembler {

    /** First version of every job's plan; a re-plan bumps it. */
    public static final int FIRST_VERSION = 1;
    static final int DEFAULT_HASH_EVERY = 10;

    /**
     * How this scheduler emulates chips.
     *
     * @param cpuBudget      share of the emulating host's CPU emulated compute may use
     * @param minStepSeconds shortest balanced emulated step
     */
    public record Emulation(double cpuBudget, double minStepSeconds) {
    }

    private final ClusterPlanner planner;
    private final int defaultVocab;
    private final Emulation emulation;

    public PlanAssembler(ClusterPlanner planner, int defaultVocab, Emulation emulation) {
        if (defaultVocab <= 0) {
            throw new IllegalArgumentException("defaultVocab must be positive, was " + defaultVocab);
        }
        this.planner = planner;
        this.defaultVocab = defaultVocab;
        this.emulation = emulation;
    }

    /** The same assembler planning over another chip catalogue. */
    public PlanAssembler withCatalogue(ChipCatalogue catalogue) {
        return new PlanAssembler(planner.withCatalogue(catalogue), defaultVocab, emulation);
    }

    public ClusterPlanner planner() {
        return planner;
    }

    /**
     * The vocabulary the plan is made for: the spec's, else the bundled corpus's (known without reading it), else a
     * configured default of the right order (a character corpus has a few dozen symbols), which only shifts
     * predicted speeds and WAN bytes slightly; the plan then gives stages without parameter offsets, and the
     * workers, who read the corpus, derive them.
     */
    public int assumedVocab(ModelSpec model, DatasetSpec dataset) {
        int known = knownVocab(model, dataset);
        return known > 0 ? known : defaultVocab;
    }

    public int assumedVocab(ModelSpec model) {
        return assumedVocab(model, null);
    }

    private static int knownVocab(ModelSpec model, DatasetSpec dataset) {
        if (model.vocabSize() > 0) {
            return model.vocabSize();
        }
        return dataset == null ? 0 : dataset.knownVocabulary();
    }

    public SchedulingDecision assemble(UUID jobId, JobSpec spec, List<InventoryDevice> devices) {
        return assemble(jobId, spec, devices, List.of(), List.of());
    }

    /**
     * @param profiles measured throughput profiles from device-inventory: a chip with a profile for the job's model
     *                 is planned at its measured speed instead of the roofline prior
     * @param links    the inventory's WAN links between the devices' datacenters
     */
    public SchedulingDecision assemble(UUID jobId, JobSpec spec, List<InventoryDevice> devices,
                                       List<MeasuredProfile> profiles, List<WanLink> links) {
        String invalid = problemWith(spec);
        if (invalid != null) {
            return new SchedulingDecision.Rejected(jobId, invalid);
        }
        if (devices.isEmpty()) {
            return new SchedulingDecision.Rejected(jobId, "no device available for the job");
        }
        ClusterPlanner.Request request = request(spec, devices, measuredByChip(spec.model(), profiles), links);
        ClusterPlanner.Result result;
        try {
            result = planner.plan(request);
        } catch (IllegalArgumentException e) {
            // the planner refuses inputs it cannot price, e.g. a chip missing from its catalogue
            return new SchedulingDecision.Rejected(jobId, "planner rejected the job: " + e.getMessage());
        }
        if (!result.feasible()) {
            String hint = request.job().stages() != null && request.job().stages() == 1
                    ? "; pipeline stages across devices need the model's vocabulary: give model.vocabSize" : "";
            return new SchedulingDecision.Rejected(jobId, "no feasible plan: " + result.reason() + hint);
        }
        return new SchedulingDecision.Planned(toPlan(jobId, spec, result, request.emulation() != null, links));
    }

    /**
     * The next version of a running job's plan over other devices (the remaining ones after a failure) or with
     * measured speeds (a rebalance). Strategy, H, allocation, memory scale and the emulation's time scale stay the
     * previous plan's, so every emulated chip keeps its speed across versions; the layout may change.
     *
     * @param measured  device id → measured samples/s replacing the planned speed; others keep the planned one
     * @param startStep first step of the new version
     */
    public SchedulingDecision replan(Plan previous, List<InventoryDevice> devices, Map<String, Double> measured,
                                     int startStep, String reason, boolean recovery) {
        if (devices.isEmpty()) {
            return new SchedulingDecision.Rejected(previous.jobId(), reason + "; no device is left to run on");
        }
        return next(previous, devices, measured, previous.links(),
                kept(previous, devices.stream().map(InventoryDevice::id).collect(Collectors.toSet()),
                        joinedDatacenters(previous, devices)), startStep, reason, recovery, "the remaining devices");
    }

    /**
     * The version that resumes a suspended job from {@code point} on the devices admission chose. Every device loads
     * the checkpoint, so no replica is kept and every datacenter is laid out afresh; strategy, H, allocation, memory
     * scale and time scale stay the previous plan's, as in {@link #replan}.
     *
     * @param links the inventory's WAN links between the chosen devices' datacenters
     */
    public SchedulingDecision resume(Plan previous, List<InventoryDevice> devices, List<WanLink> links,
                                     ResumePoint point) {
        String reason = Resumes.resumeReason(point);
        if (devices.isEmpty()) {
            return new SchedulingDecision.Rejected(previous.jobId(), reason + ": no device is free");
        }
        SchedulingDecision d = next(previous, devices, Map.of(), links, null, (int) point.step() + 1, reason, true,
                "the devices free now");
        if (d instanceof SchedulingDecision.Rejected r && r.reason().startsWith(reason + "; ")) {
            return new SchedulingDecision.Rejected(r.jobId(), r.reason().substring(reason.length() + 2));
        }
        if (!(d instanceof SchedulingDecision.Planned planned)) {
            return d;
        }
        Plan plan = planned.plan().withLinks(links == null ? List.of() : links).withResume(point);
        // a plan made before checkpoints carries no settings: the resumed job gets the defaults
        return new SchedulingDecision.Planned(plan.checkpoint() != null ? plan
                : plan.withCheckpoint(previous.checkpointOrDefaults()));
    }

    private SchedulingDecision next(Plan previous, List<InventoryDevice> devices, Map<String, Double> measured,
                                    List<WanLink> links, Map<String, List<ClusterPlanner.KeptReplica>> keep,
                                    int startStep, String reason, boolean recovery, String over) {
        Map<String, Double> planned = new HashMap<>();
        previous.devices().forEach(d -> planned.put(d.deviceId(), d.chipSamplesPerSec()));
        int vocab = assumedVocab(previous.model(), previous.dataset());
        List<ClusterPlanner.Device> inputs = new ArrayList<>();
        for (InventoryDevice d : devices) {
            Double speed = measured.getOrDefault(d.id(), planned.get(d.id()));
            inputs.add(new ClusterPlanner.Device(d.id(), d.datacenter(), d.nodeId(), d.chip(), speed, null, null,
                    null, 0.0));
        }
        boolean emulated = Plan.EMULATED.equals(previous.mode());
        Integer h = previous.diloco() ? previous.syncOrDefaults().h() : null;
        ClusterPlanner.Job job = new ClusterPlanner.Job(null, LayerModel.of(previous.model(), vocab),
                previous.globalBatch(), false, previous.strategy(), h,
                SyncSpec.bytesPerValue(previous.syncOrDefaults().codec()), null, null, previous.allocation(),
                emulated ? previous.memoryScale() : null, previous.pipelined() ? null : 1, keep);
        ClusterPlanner.Emulation emulation = emulated && previous.timeScale() != null
                ? new ClusterPlanner.Emulation(previous.timeScale(), 1, this.emulation.cpuBudget(), 0) : null;
        ClusterPlanner.Result result;
        try {
            result = planner.plan(new ClusterPlanner.Request(null, links(links), inputs, job, emulation));
        } catch (IllegalArgumentException e) {
            return new SchedulingDecision.Rejected(previous.jobId(), reason + "; the planner rejected " + over + ": "
                    + e.getMessage());
        }
        if (!result.feasible()) {
            return new SchedulingDecision.Rejected(previous.jobId(), reason + "; no feasible plan on " + over + ": "
                    + result.reason());
        }
        // a device keeps the speed it was emulated at; one new to the job runs at its chip's nominal speed
        Map<String, Double> emulatedBefore = new HashMap<>();
        previous.devices().forEach(d -> emulatedBefore.put(d.deviceId(), d.emulatedSpeed()));
        ModelProfile profile = ModelProfile.of(previous.model(), vocab);
        boolean known = knownVocab(previous.model(), previous.dataset()) > 0;
        List<PlanDevice> planDevices = planDevices(result, emulated, known,
                d -> emulatedBefore.getOrDefault(d.id(), nominal(d, profile)));
        List<String> datacenters = datacenters(result);
        return new SchedulingDecision.Planned(previous.next(datacenters, planDevices,
                prediction(result, previous.model(), vocab, datacenters, emulated), startStep, reason, recovery)
                .withLayouts(previous.memoryScale(), layouts(result)));
    }

    /**
     * The replicas of a pipelined plan, per datacenter, that the next version keeps exactly as they are: a datacenter
     * whose replicas all survive keeps its layout, so no block moves. Under sync DP a datacenter where a replica lost
     * a device is left out here, so the planner lays it out afresh from its survivors (the workers re-shard the
     * committed state, which every replica holds identically). Under DiLoCo the broken replicas are only dropped:
     * between outer rounds the datacenters' replicas differ, so their ranges cannot be pieced together.
     *
     * @param surviving the ids of the devices the next version can use
     */
    static Map<String, List<ClusterPlanner.KeptReplica>> kept(Plan previous, Set<String> surviving) {
        return kept(previous, surviving, Set.of());
    }

    /**
     * As {@link #kept(Plan, Set)}; under sync DP a datacenter a device joins is laid out afresh as well, so the
     * joiner takes a stage (or a whole replica) there.
     *
     * @param joined datacenters of devices new to the job
     */
    static Map<String, List<ClusterPlanner.KeptReplica>> kept(Plan previous, Set<String> surviving,
                                                             Set<String> joined) {
        Map<String, List<ClusterPlanner.KeptReplica>> out = new java.util.TreeMap<>();
        if (!previous.pipelined()) {
            return null;
        }
        Set<String> broken = new HashSet<>(previous.diloco() ? Set.of() : joined);
        previous.devices().stream().filter(d -> !surviving.contains(d.deviceId()))
                .forEach(d -> broken.add(d.datacenter()));
        Map<String, List<PlanDevice>> byReplica = new java.util.LinkedHashMap<>();
        for (PlanDevice d : previous.devices().stream().sorted(java.util.Comparator.comparingInt(PlanDevice::rank))
                .toList()) {
            if (d.staged()) {
                byReplica.computeIfAbsent(d.replicaOrSelf(), k -> new ArrayList<>()).add(d);
            } else {
                // a whole replica stays one (a device turned into a stage would drop state it may need later)
                out.computeIfAbsent(d.datacenter(), k -> new ArrayList<>()).add(new ClusterPlanner.KeptReplica(
                        d.replicaOrSelf(), List.of(d.deviceId()), new int[] {previous.model().layers()},
                        Math.max(1, d.batch())));
            }
        }
        for (List<PlanDevice> stages : byReplica.values()) {
            List<PlanDevice> ordered = stages.stream()
                    .sorted(java.util.Comparator.comparingInt(d -> d.stage().index())).toList();
            int[] blocks = ordered.stream().mapToInt(d -> d.stage().lastLayer() - d.stage().firstLayer() + 1)
                    .toArray();
            out.computeIfAbsent(ordered.get(0).datacenter(), k -> new ArrayList<>())
                    .add(new ClusterPlanner.KeptReplica(ordered.get(0).replicaOrSelf(),
                            ordered.stream().map(PlanDevice::deviceId).toList(), blocks,
                            ordered.get(0).stage().microBatchSize()));
        }
        if (!previous.diloco()) {
            broken.forEach(out::remove);
        }
        return out.isEmpty() ? null : out;
    }

    /** Datacenters of the devices in {@code next} that {@code previous} did not use. */
    private static Set<String> joinedDatacenters(Plan previous, List<InventoryDevice> next) {
        Set<String> before = previous.devices().stream().map(PlanDevice::deviceId).collect(Collectors.toSet());
        return next.stream().filter(d -> !before.contains(d.id())).map(InventoryDevice::datacenter)
                .collect(Collectors.toSet());
    }

    /** A measured speed of one chip for one model (device-inventory's {@code GET /api/v1/profiles}). */
    @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
    public record MeasuredProfile(String chip, String model, int microBatch, double samplesPerSec, long samples) {
    }

    /**
     * Per chip (lower case), the measured speed for this model: the profile with the most samples among those of the
     * model's key. When the spec leaves the vocabulary to the corpus, any vocabulary of the same architecture counts.
     */
    static Map<String, Double> measuredByChip(ModelSpec model, List<MeasuredProfile> profiles) {
        String exact = model.vocabSize() > 0 ? model.key(model.vocabSize()) : null;
        String prefix = model.key(0).substring(0, model.key(0).lastIndexOf("-v") + 2);
        Map<String, MeasuredProfile> best = new HashMap<>();
        for (MeasuredProfile p : profiles) {
            if (p.model() == null || p.chip() == null || !(p.samplesPerSec() > 0)) {
                continue;
            }
            boolean matches = exact != null ? p.model().equals(exact) : p.model().startsWith(prefix);
            if (matches) {
                best.merge(p.chip().toLowerCase(Locale.ROOT), p, (a, b) -> b.samples() > a.samples() ? b : a);
            }
        }
        Map<String, Double> out = new HashMap<>();
        best.forEach((chip, p) -> out.put(chip, p.samplesPerSec()));
        return out;
    }

    /** The planner request for a new job: the same one {@code plans/simulate} builds for the same cluster. */
    public ClusterPlanner.Request request(JobSpec spec, List<InventoryDevice> devices,
                                         Map<String, Double> measuredByChip, List<WanLink> links) {
        int vocab = assumedVocab(spec.model(), spec.dataset());
        double flopsPerSample = spec.model().flopsPerSample(vocab);
        List<ClusterPlanner.Device> inputs = new ArrayList<>();
        for (InventoryDevice d : devices) {
            Double measured = d.chip() == null ? null : measuredByChip.get(d.chip().toLowerCase(Locale.ROOT));
            inputs.add(new ClusterPlanner.Device(d.id(), d.datacenter(), d.nodeId(), d.chip(), measured, null,
                    null, null, cpuSecondsPerSample(flopsPerSample, d)));
        }
        int hostCores = devices.stream().mapToInt(InventoryDevice::cores).max().orElse(0);
        boolean emulated = devices.stream().allMatch(InventoryDevice::emulated);
        SyncSpec sync = spec.syncOrDefaults();
        Integer h = spec.sync() != null ? spec.sync().h() : null;
        // pipeline stages own parameter ranges, which the relays place on the grid of chunks: without the model's
        // vocabulary the ranges are unknown, so such a job is planned as whole replicas only
        Integer stages = knownVocab(spec.model(), spec.dataset()) > 0 ? null : 1;
        ClusterPlanner.Job job = new ClusterPlanner.Job(null, LayerModel.of(spec.model(), vocab), spec.globalBatch(),
                false, spec.strategy(), h, SyncSpec.bytesPerValue(sync.codec()), null, null, allocation(spec),
                emulated ? spec.memoryScale() : null, stages);
        ClusterPlanner.Emulation e = emulated ? new ClusterPlanner.Emulation(spec.timeScale(), Math.max(1, hostCores),
                emulation.cpuBudget(), emulation.minStepSeconds()) : null;
        return new ClusterPlanner.Request(null, links(links), inputs, job, e);
    }

    /** The inventory's links as the planner takes them; a link without a bandwidth is not one it can price. */
    static List<ClusterPlanner.Link> links(List<WanLink> links) {
        List<ClusterPlanner.Link> out = new ArrayList<>();
        if (links == null) {
            return out;
        }
        for (WanLink l : links) {
            if (l.a() != null && l.b() != null && l.bandwidthGbps() != null && l.bandwidthGbps() > 0) {
                out.add(new ClusterPlanner.Link(l.a(), l.b(), l.bandwidthGbps(),
                        l.latencyMs() == null ? 0 : l.latencyMs()));
            }
        }
        return out;
    }

    /** CPU time one sample costs on the device's host; 0 on a real accelerator, which is never paced. */
    static double cpuSecondsPerSample(double flopsPerSample, InventoryDevice d) {
        Double cpu = d.cpuFlopsPerSec();
        return cpu == null || cpu <= 0 ? 0.0 : flopsPerSample / cpu;
    }

    /**
     * Under emulation a device runs at its chip's nominal speed (the roofline prior), whatever speed the plan
     * assumes from measurements; only a chip missing from the catalogue runs at the planned speed.
     */
    private double nominal(ClusterPlanner.DevicePlan d, ModelProfile profile) {
        return planner.catalogue().find(d.chip())
                .map(c -> io.crosstrain.planner.CostModel.rooflineSamplesPerSec(c, profile))
                .orElse(d.samplesPerSec());
    }

    Plan toPlan(UUID jobId, JobSpec spec, ClusterPlanner.Result result, boolean emulated, List<WanLink> links) {
        int vocab = assumedVocab(spec.model(), spec.dataset());
        ModelProfile profile = ModelProfile.of(spec.model(), vocab);
        boolean known = knownVocab(spec.model(), spec.dataset()) > 0;
        List<PlanDevice> devices = planDevices(result, emulated, known, d -> nominal(d, profile));
        List<String> datacenters = datacenters(result);
        Plan.Prediction prediction = prediction(result, spec.model(), vocab, datacenters, emulated);
        String strategy = result.predicted().strategy();
        SyncSpec sync = null;
        if (JobSpec.DILOCO.equals(strategy)) {
            SyncSpec asked = spec.syncOrDefaults();
            int h = spec.sync() != null && spec.sync().h() != null ? spec.sync().h() : result.predicted().h();
            sync = fitted(new SyncSpec(h, asked.codec(), asked.outerLr(), asked.outerMomentum()), spec.steps());
        }
        return new Plan(jobId, FIRST_VERSION, strategy, allocation(spec),
                emulated ? Plan.EMULATED : Plan.MEASURED, result.timeScale(), spec.model(), spec.dataset(),
                spec.steps(), spec.globalBatch(), spec.learningRate(), spec.seed(),
                spec.hashEvery() > 0 ? spec.hashEvery() : DEFAULT_HASH_EVERY, datacenters, devices, prediction)
                .withSync(sync)
                .withOptimizer(spec.optimizerOrDefaults())
                .withLinks(links == null ? List.of() : links)
                .withLayouts(emulated ? spec.memoryScale() : null, layouts(result))
                .withCheckpoint(checkpoint(spec, strategy, sync));
    }

    /** The spec's checkpoint settings resolved for the strategy and H the plan runs (DiLoCo: every outer round). */
    static CheckpointSpec checkpoint(JobSpec spec, String strategy, SyncSpec sync) {
        CheckpointSpec asked = spec.checkpoint() == null ? CheckpointSpec.defaults() : spec.checkpoint();
        return asked.resolved(strategy, sync != null ? sync.hOrDefault() : spec.syncOrDefaults().hOrDefault());
    }

    /** A job shorter than its H syncs once, at its end. */
    static SyncSpec fitted(SyncSpec sync, int steps) {
        return sync.h() > steps ? new SyncSpec(steps, sync.codec(), sync.outerLr(), sync.outerMomentum()) : sync;
    }

    /** The planner's devices in rank order; under emulation each with the speed it is to run at. */
    private static List<PlanDevice> planDevices(ClusterPlanner.Result result, boolean emulated, boolean knownVocab,
                                                java.util.function.ToDoubleFunction<ClusterPlanner.DevicePlan> speed) {
        List<PlanDevice> out = new ArrayList<>();
        for (ClusterPlanner.DevicePlan d : result.devices()) {
            ClusterPlanner.Stage s = d.stage();
            PlanStage stage = s == null ? null : new PlanStage(s.index(), s.stages(), s.firstLayer(), s.lastLayer(),
                    knownVocab ? s.parameterOffset() : null, knownVocab ? s.parameterCount() : null, s.previous(),
                    s.next(), d.maxMicroBatch(), s.time().computePerSample(), s.time().trafficPerSample(),
                    s.time().weightTraffic(), s.memoryBytes(), s.capacityBytes());
            out.add(new PlanDevice(d.id(), d.nodeId(), d.datacenter(), d.chip(), d.rank(), d.batch(),
                    d.microBatches(), d.samplesPerSec(), d.pacedStepSeconds(),
                    emulated ? speed.applyAsDouble(d) : null, d.replica(), stage));
        }
        return out;
    }

    static List<PlanLayout> layouts(ClusterPlanner.Result result) {
        List<PlanLayout> out = new ArrayList<>();
        for (ClusterPlanner.Layout l : result.layouts()) {
            ClusterPlanner.Alternative eq = l.equalLayers();
            ClusterPlanner.Alternative dp = l.dataParallelOnly();
            out.add(new PlanLayout(l.datacenter(), l.stages(), l.replicas(), l.maxMicroBatch(), l.stepSeconds(),
                    l.bubbleFraction(), l.eta(), l.idle(),
                    eq != null && eq.feasible() ? eq.eta() : null, eq != null && !eq.feasible() ? eq.reason() : null,
                    dp != null && dp.feasible() ? dp.eta() : null, dp != null && !dp.feasible() ? dp.reason() : null));
        }
        return out;
    }

    private static List<String> datacenters(ClusterPlanner.Result result) {
        return result.devices().stream().map(ClusterPlanner.DevicePlan::datacenter).distinct().sorted().toList();
    }

    private static Plan.Prediction prediction(ClusterPlanner.Result result, ModelSpec model, int vocab,
                                              List<String> datacenters, boolean emulated) {
        long parameters = model.parameters(vocab);
        ClusterPlanner.Prediction p = result.predicted();
        return new Plan.Prediction(emulated ? result.pacedStepSeconds() : p.stepSeconds(), p.eta(), p.equalSplitEta(),
                wanBytesPerStep(datacenters.size(), parameters), p.bubbleFraction());
    }

    /**
     * Bytes crossing the WAN per synchronised step if every datacenter sent its full fp32 gradient to every other
     * one: the sync-DP figure the report compares DiLoCo against.
     */
    static long wanBytesPerStep(int datacenters, long parameters) {
        return (long) datacenters * (datacenters - 1) * parameters * 4L;
    }

    private static String allocation(JobSpec spec) {
        return spec.allocation() == null || spec.allocation().isBlank() ? JobSpec.BALANCED : spec.allocation();
    }

    /** Why the spec cannot be planned whatever the devices, or null when it can. */
    public String problemWith(JobSpec spec) {
        if (spec.model() == null) {
            return "spec.model is missing";
        }
        ModelSpec m = spec.model();
        if (m.layers() <= 0 || m.dModel() <= 0 || m.heads() <= 0 || m.seqLen() <= 0 || m.vocabSize() < 0) {
            return "spec.model has a non-positive dimension: " + m;
        }
        if (spec.globalBatch() <= 0) {
            return "spec.globalBatch must be positive, was " + spec.globalBatch();
        }
        if (spec.steps() <= 0) {
            return "spec.steps must be positive, was " + spec.steps();
        }
        return null;
    }
}
