package io.crosstrain.scheduler.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.SyncSpec;
import io.crosstrain.planner.ModelProfile;
import io.crosstrain.planner.Planner;

/**
 * Turns a job spec and the devices chosen for it into a planner request, and the planner's answer into the
 * {@link Plan} workers and relays execute. Plain Java: no I/O, so every rule here is unit-tested directly.
 */
public final class PlanAssembler {

    /** First version of every job's plan; a re-plan (later issue) bumps it. */
    public static final int FIRST_VERSION = 1;
    static final int DEFAULT_HASH_EVERY = 10;

    private final Planner planner;
    private final int defaultVocab;

    public PlanAssembler(Planner planner, int defaultVocab) {
        if (defaultVocab <= 0) {
            throw new IllegalArgumentException("defaultVocab must be positive, was " + defaultVocab);
        }
        this.planner = planner;
        this.defaultVocab = defaultVocab;
    }

    /** The same assembler planning over another chip catalogue. */
    public PlanAssembler withCatalogue(io.crosstrain.planner.ChipCatalogue catalogue) {
        return new PlanAssembler(planner.withCatalogue(catalogue), defaultVocab);
    }

    /**
     * The vocabulary the cost model assumes. Workers derive the real size from the corpus when the spec says 0, and
     * the scheduler cannot know it before they do; a character corpus has a few dozen symbols, so a configured
     * default of that order only shifts predicted speeds and WAN bytes slightly. The plan keeps the spec's model
     * unchanged so that workers still derive the real vocabulary.
     */
    public int assumedVocab(ModelSpec model) {
        return model.vocabSize() > 0 ? model.vocabSize() : defaultVocab;
    }

    public SchedulingDecision assemble(UUID jobId, JobSpec spec, List<InventoryDevice> devices) {
        return assemble(jobId, spec, devices, List.of());
    }

    /**
     * @param profiles measured throughput profiles from device-inventory: a chip with a profile for the job's model
     *                 is planned at its measured speed instead of the roofline prior (ARCHITECTURE.md §5)
     */
    public SchedulingDecision assemble(UUID jobId, JobSpec spec, List<InventoryDevice> devices,
                                       List<MeasuredProfile> profiles) {
        String invalid = problemWith(spec);
        if (invalid != null) {
            return new SchedulingDecision.Rejected(jobId, invalid);
        }
        if (devices.isEmpty()) {
            return new SchedulingDecision.Rejected(jobId, "no device available for the job");
        }
        Planner.Request request = request(spec, devices, measuredByChip(spec.model(), profiles));
        Planner.Result result;
        try {
            result = planner.plan(request);
        } catch (IllegalArgumentException e) {
            // the planner refuses inputs it cannot price, e.g. a chip missing from its catalogue
            return new SchedulingDecision.Rejected(jobId, "planner rejected the job: " + e.getMessage());
        }
        if (!result.feasible()) {
            return new SchedulingDecision.Rejected(jobId, "no feasible plan: " + result.reason());
        }
        return new SchedulingDecision.Planned(toPlan(jobId, spec, result, request.emulated()));
    }

    /**
     * The next version of a running job's plan over other devices (the remaining ones after a failure) or with
     * measured speeds (a rebalance). The emulation time scale stays the previous plan's, so every emulated chip keeps
     * its speed across versions.
     *
     * @param measured  device id → measured samples/s replacing the planned speed; others keep the planned one
     * @param startStep first step of the new version
     */
    public SchedulingDecision replan(Plan previous, List<InventoryDevice> devices, Map<String, Double> measured,
                                     int startStep, String reason, boolean recovery) {
        if (devices.isEmpty()) {
            return new SchedulingDecision.Rejected(previous.jobId(), reason + "; no device is left to run on");
        }
        Map<String, Double> planned = new HashMap<>();
        previous.devices().forEach(d -> planned.put(d.deviceId(), d.chipSamplesPerSec()));
        ModelProfile profile = ModelProfile.of(previous.model(), assumedVocab(previous.model()));
        List<Planner.DeviceInput> inputs = new ArrayList<>();
        for (InventoryDevice d : devices) {
            Double speed = measured.getOrDefault(d.id(), planned.get(d.id()));
            inputs.add(new Planner.DeviceInput(d.id(), d.nodeId(), d.datacenter(), d.chip(), speed, null, 0.0));
        }
        boolean emulated = Plan.EMULATED.equals(previous.mode());
        Planner.Request request = new Planner.Request(inputs, profile, previous.globalBatch(),
                previous.allocation(), false, previous.timeScale(), 1, emulated);
        Planner.Result result;
        try {
            result = planner.plan(request);
        } catch (IllegalArgumentException e) {
            return new SchedulingDecision.Rejected(previous.jobId(), reason + "; the planner rejected the remaining "
                    + "devices: " + e.getMessage());
        }
        if (!result.feasible()) {
            return new SchedulingDecision.Rejected(previous.jobId(), reason + "; no feasible plan on the remaining "
                    + "devices: " + result.reason());
        }
        // a device keeps the speed it was emulated at; one new to the job runs at its chip's nominal speed
        Map<String, Double> emulatedBefore = new HashMap<>();
        previous.devices().forEach(d -> emulatedBefore.put(d.deviceId(), d.emulatedSpeed()));
        List<PlanDevice> planDevices = planDevices(result, emulated,
                d -> emulatedBefore.getOrDefault(d.deviceId(), nominal(d, profile)));
        List<String> datacenters = datacenters(result);
        return new SchedulingDecision.Planned(previous.next(datacenters, planDevices,
                prediction(result, previous.model(), datacenters), startStep, reason, recovery));
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
                best.merge(p.chip().toLowerCase(java.util.Locale.ROOT), p,
                        (a, b) -> b.samples() > a.samples() ? b : a);
            }
        }
        Map<String, Double> out = new HashMap<>();
        best.forEach((chip, p) -> out.put(chip, p.samplesPerSec()));
        return out;
    }

    Planner.Request request(JobSpec spec, List<InventoryDevice> devices) {
        return request(spec, devices, Map.of());
    }

    Planner.Request request(JobSpec spec, List<InventoryDevice> devices, Map<String, Double> measuredByChip) {
        double flopsPerSample = spec.model().flopsPerSample(assumedVocab(spec.model()));
        List<Planner.DeviceInput> inputs = new ArrayList<>();
        for (InventoryDevice d : devices) {
            Double measured = d.chip() == null ? null
                    : measuredByChip.get(d.chip().toLowerCase(java.util.Locale.ROOT));
            inputs.add(new Planner.DeviceInput(d.id(), d.nodeId(), d.datacenter(), d.chip(), measured, null,
                    cpuSecondsPerSample(flopsPerSample, d)));
        }
        int hostCores = devices.stream().mapToInt(InventoryDevice::cores).max().orElse(0);
        boolean emulated = devices.stream().allMatch(InventoryDevice::emulated);
        return new Planner.Request(inputs, ModelProfile.of(spec.model(), assumedVocab(spec.model())),
                spec.globalBatch(), allocation(spec), false, spec.timeScale(), hostCores, emulated);
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
    private double nominal(PlanDevice d, ModelProfile profile) {
        return planner.priorSamplesPerSec(d.chip(), profile).orElse(d.chipSamplesPerSec());
    }

    Plan toPlan(UUID jobId, JobSpec spec, Planner.Result result, boolean emulated) {
        ModelProfile profile = ModelProfile.of(spec.model(), assumedVocab(spec.model()));
        List<PlanDevice> devices = planDevices(result, emulated, d -> nominal(d, profile));
        List<String> datacenters = datacenters(result);
        Plan.Prediction prediction = prediction(result, spec.model(), datacenters);
        String strategy = resolveStrategy(spec.strategy(), datacenters);
        return new Plan(jobId, FIRST_VERSION, strategy, allocation(spec),
                emulated ? Plan.EMULATED : Plan.MEASURED, result.timeScale(), spec.model(), spec.dataset(),
                spec.steps(), spec.globalBatch(), spec.learningRate(), spec.seed(),
                spec.hashEvery() > 0 ? spec.hashEvery() : DEFAULT_HASH_EVERY, datacenters, devices, prediction)
                .withSync(JobSpec.DILOCO.equals(strategy) ? fitted(spec.syncOrDefaults(), spec.steps()) : null)
                .withOptimizer(spec.optimizerOrDefaults());
    }

    /**
     * {@code auto}: synchronous data parallel inside one datacenter, DiLoCo once the plan crosses a WAN link (where
     * a gradient exchange per step would cost many compute steps). Re-plans keep what the first plan chose.
     */
    static String resolveStrategy(String requested, List<String> datacenters) {
        if (requested == null || JobSpec.AUTO.equals(requested)) {
            return datacenters.size() > 1 ? JobSpec.DILOCO : JobSpec.SYNC_DP;
        }
        return requested;
    }

    /** Default settings for a job shorter than the default H sync once, at its end. */
    static SyncSpec fitted(SyncSpec sync, int steps) {
        return sync.h() > steps ? new SyncSpec(steps, sync.codec(), sync.outerLr(), sync.outerMomentum()) : sync;
    }

    /** The planner's devices in rank order; under emulation each with the speed it is to run at. */
    private static List<PlanDevice> planDevices(Planner.Result result, boolean emulated,
                                                java.util.function.ToDoubleFunction<PlanDevice> emulatedSpeed) {
        return result.devices().stream()
                .sorted(Comparator.comparingInt(Planner.DevicePlan::rank))
                .map(Planner.DevicePlan::toPlanDevice)
                .map(d -> emulated ? d.withEmulatedSpeed(emulatedSpeed.applyAsDouble(d)) : d)
                .toList();
    }

    private static List<String> datacenters(Planner.Result result) {
        return result.datacenters().stream().distinct().sorted().toList();
    }

    private Plan.Prediction prediction(Planner.Result result, ModelSpec model, List<String> datacenters) {
        long parameters = model.parameters(assumedVocab(model));
        return new Plan.Prediction(result.predictedStepSeconds(), result.predictedEta(),
                result.predictedEqualSplitEta(), wanBytesPerStep(datacenters.size(), parameters));
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
