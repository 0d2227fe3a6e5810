package io.crosstrain.scheduler.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Placement;
import io.crosstrain.contracts.SyncSpec;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ChipSpec;
import io.crosstrain.planner.ClusterPlanner;
import io.crosstrain.planner.LayerModel;
import io.crosstrain.scheduler.api.SimulationRequest.DatacenterBody;
import io.crosstrain.scheduler.api.SimulationRequest.DeviceBody;
import io.crosstrain.scheduler.api.SimulationRequest.JobBody;
import io.crosstrain.scheduler.api.SimulationRequest.LinkBody;
import io.crosstrain.scheduler.api.SimulationRequest.ModelBody;
import io.crosstrain.scheduler.api.SimulationRequest.ModelChoice;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

/**
 * Checks a simulation request and turns it into a {@link ClusterPlanner.Request}. Every field at fault is reported
 * at once by its JSON path; the answer is 400 when something is malformed and 422 when everything is well formed
 * but a datacenter, chip or model preset it names does not exist.
 *
 * <p>The job always carries the model block by block ({@link ClusterPlanner.Job#layers}), so the planner may lay
 * every datacenter out as pipelines, and its whole-model figures are left to the blocks ({@code Job.model} null), as
 * the scheduler's {@code PlanAssembler} does: the same cluster and job give the same plan.
 */
final class SimulationValidator {

    static final int MAX_DEVICES = 100_000;
    static final int MAX_GLOBAL_BATCH = 100_000_000;
    static final int MAX_LAYERS = 1000;
    /** As job-api's bound on a job's memory scale. */
    static final double MAX_MEMORY_SCALE = 1000;

    /**
     * A checked request and what the validator assumed to make it (a preset's shape, an assumed layer count), in
     * words for the answer's assumptions.
     */
    record Validated(ClusterPlanner.Request request, List<String> notes) {
    }

    private final ChipCatalogue catalogue;
    private final List<FieldError> malformed = new ArrayList<>();
    private final List<FieldError> unknown = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    private SimulationValidator(ChipCatalogue catalogue) {
        this.catalogue = catalogue;
    }

    /** @throws RequestRejectedException 400 or 422 naming every field at fault */
    static Validated validate(SimulationRequest body, ChipCatalogue catalogue) {
        SimulationValidator v = new SimulationValidator(catalogue);
        ClusterPlanner.Request request = v.check(body);
        return new Validated(request, List.copyOf(v.notes));
    }

    private ClusterPlanner.Request check(SimulationRequest body) {
        if (body == null) {
            throw RequestRejectedException.invalid(List.of(new FieldError("body", "a request body is required")));
        }
        List<ClusterPlanner.Datacenter> datacenters = datacenters(body.datacenters());
        Set<String> dcIds = datacenters.stream().map(ClusterPlanner.Datacenter::id).collect(Collectors.toSet());
        List<ClusterPlanner.Link> links = links(body.links(), dcIds);
        List<ClusterPlanner.Device> devices = devices(body.devices(), dcIds);
        ClusterPlanner.Job job = job(body.job(), dcIds);

        if (!malformed.isEmpty()) {
            List<FieldError> all = new ArrayList<>(malformed);
            all.addAll(unknown);
            throw RequestRejectedException.invalid(all);
        }
        if (!unknown.isEmpty()) {
            throw new RequestRejectedException(422, "the request names a datacenter, chip or model preset that does "
                    + "not exist", unknown);
        }
        return new ClusterPlanner.Request(datacenters, links, devices, job);
    }

    private List<ClusterPlanner.Datacenter> datacenters(List<DatacenterBody> list) {
        List<ClusterPlanner.Datacenter> out = new ArrayList<>();
        if (list == null || list.isEmpty()) {
            bad("datacenters", "at least one datacenter is required");
            return out;
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String at = "datacenters[" + i + "]";
            DatacenterBody dc = list.get(i);
            if (dc == null) {
                bad(at, "must be an object");
                continue;
            }
            if (blank(dc.id())) {
                bad(at + ".id", "is required");
                continue;
            }
            if (!seen.add(dc.id())) {
                bad(at + ".id", "datacenter '" + dc.id() + "' is listed twice");
                continue;
            }
            if (dc.intraGbps() != null && !positive(dc.intraGbps())) {
                bad(at + ".intraGbps", "must be positive (Gbit/s) or absent");
                continue;
            }
            out.add(new ClusterPlanner.Datacenter(dc.id(), dc.intraGbps()));
        }
        return out;
    }

    private List<ClusterPlanner.Link> links(List<LinkBody> list, Set<String> dcIds) {
        List<ClusterPlanner.Link> out = new ArrayList<>();
        if (list == null) {
            return out;
        }
        Map<String, Integer> pairs = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String at = "links[" + i + "]";
            LinkBody l = list.get(i);
            if (l == null) {
                bad(at, "must be an object");
                continue;
            }
            boolean ok = datacenterRef(at + ".from", l.from(), dcIds) & datacenterRef(at + ".to", l.to(), dcIds);
            if (ok && l.from().equals(l.to())) {
                bad(at + ".to", "must differ from from: a link joins two datacenters");
                ok = false;
            }
            if (l.gbps() == null || !positive(l.gbps())) {
                bad(at + ".gbps", "is required and must be positive (Gbit/s)");
                ok = false;
            }
            double latency = l.latencyMs() == null ? 0.0 : l.latencyMs();
            if (!(latency >= 0) || Double.isInfinite(latency)) {
                bad(at + ".latencyMs", "must be ≥ 0 (ms) or absent");
                ok = false;
            }
            if (ok) {
                String key = l.from().compareTo(l.to()) < 0
                        ? l.from() + "\u0000" + l.to() : l.to() + "\u0000" + l.from();
                Integer before = pairs.putIfAbsent(key, i);
                if (before != null) {
                    bad(at, "links " + l.from() + " and " + l.to() + " again (links are undirected; see links["
                            + before + "])");
                } else {
                    out.add(new ClusterPlanner.Link(l.from(), l.to(), l.gbps(), latency));
                }
            }
        }
        return out;
    }

    private List<ClusterPlanner.Device> devices(List<DeviceBody> list, Set<String> dcIds) {
        List<ClusterPlanner.Device> out = new ArrayList<>();
        if (list == null || list.isEmpty()) {
            bad("devices", "at least one device is required");
            return out;
        }
        if (list.size() > MAX_DEVICES) {
            bad("devices", "at most " + MAX_DEVICES + " devices");
            return out;
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String at = "devices[" + i + "]";
            DeviceBody d = list.get(i);
            if (d == null) {
                bad(at, "must be an object");
                continue;
            }
            boolean ok = true;
            if (blank(d.id())) {
                bad(at + ".id", "is required");
                ok = false;
            } else if (!seen.add(d.id())) {
                bad(at + ".id", "device '" + d.id() + "' is listed twice");
                ok = false;
            }
            ok &= datacenterRef(at + ".datacenter", d.datacenter(), dcIds);
            if (blank(d.chip())) {
                bad(at + ".chip", "is required");
                ok = false;
            } else if (catalogue.find(d.chip()).isEmpty()) {
                unknown.add(new FieldError(at + ".chip", "unknown chip '" + d.chip() + "'; known chips: "
                        + knownChips()));
                ok = false;
            }
            if (d.samplesPerSec() != null && !positive(d.samplesPerSec())) {
                bad(at + ".samplesPerSec", "must be positive or absent (absent = roofline prior)");
                ok = false;
            }
            if (d.maxMicroBatch() != null && d.maxMicroBatch() < 0) {
                bad(at + ".maxMicroBatch", "must be ≥ 0 or absent (absent = memory cap of the chip)");
                ok = false;
            }
            if (d.memoryGb() != null && !positive(d.memoryGb())) {
                bad(at + ".memoryGb", "must be positive or absent (absent = the chip's)");
                ok = false;
            }
            if (d.labels() != null && d.labels().values().stream().anyMatch(v -> v == null)) {
                bad(at + ".labels", "label values must be strings");
                ok = false;
            }
            if (ok) {
                out.add(new ClusterPlanner.Device(d.id(), d.datacenter(), d.nodeId(), d.chip(), d.samplesPerSec(),
                        d.maxMicroBatch(), d.memoryGb(), d.labels()));
            }
        }
        return out;
    }

    private ClusterPlanner.Job job(JobBody job, Set<String> dcIds) {
        if (job == null) {
            bad("job", "is required");
            return null;
        }
        LayerModel model = model(job);
        Integer g = job.globalBatch();
        if (g == null || g < 1 || g > MAX_GLOBAL_BATCH) {
            bad("job.globalBatch", "is required and must be between 1 and " + MAX_GLOBAL_BATCH);
        }
        String strategy = job.strategy() == null ? JobSpec.AUTO : job.strategy();
        if (!List.of(JobSpec.AUTO, JobSpec.SYNC_DP, JobSpec.DILOCO).contains(strategy)) {
            bad("job.strategy", "must be \"auto\", \"sync-dp\" or \"diloco\"");
        }
        if (job.h() != null) {
            if (job.h() < 1 || job.h() > 1_000_000) {
                bad("job.h", "must be between 1 and 1000000 or absent (absent = chosen from targetCommRatio)");
            } else if (strategy.equals(JobSpec.SYNC_DP)) {
                bad("job.h", "applies to diloco only; sync-dp exchanges every step");
            }
        }
        // absent = the codec a submitted job's DiLoCo uses (SyncSpec's default), so both plan alike
        double codec = SyncSpec.bytesPerValue(null);
        if (job.codec() != null) {
            if (SyncSpec.CODECS.contains(job.codec())) {
                codec = SyncSpec.bytesPerValue(job.codec());
            } else {
                bad("job.codec", "must be one of fp32, bf16, fp16, int8, int4 (absent = "
                        + SyncSpec.DEFAULT_CODEC + ")");
            }
        }
        if (job.targetCommRatio() != null && !positive(job.targetCommRatio())) {
            bad("job.targetCommRatio", "must be positive or absent (absent = 0.1)");
        }
        Double memoryScale = job.memoryScale();
        if (memoryScale != null && !(positive(memoryScale) && memoryScale <= MAX_MEMORY_SCALE)) {
            bad("job.memoryScale", "must be positive and at most " + (int) MAX_MEMORY_SCALE + " (every device holds "
                    + "its chip's memory × memoryScale), or absent for 1");
        }
        Integer stages = job.stages();
        if (stages != null) {
            if (stages < 1) {
                bad("job.stages", "must be at least 1 (1 = whole replicas only), or absent to let the planner "
                        + "choose");
            } else if (model != null && stages > model.layers()) {
                bad("job.stages", "must be at most the model's " + model.layers() + " layers: every stage holds at "
                        + "least one");
            }
        }
        Placement placement = placement(job.placement(), dcIds);
        if (model == null || g == null || !malformed.isEmpty()) {
            return null;
        }
        return new ClusterPlanner.Job(null, model, g, Boolean.TRUE.equals(job.allowGradientAccumulation()), strategy,
                job.h(), codec, job.targetCommRatio(), placement, null, memoryScale, stages);
    }

    /** The model block by block, given exactly one way: a preset name, a shape, or a parameter count. */
    private LayerModel model(JobBody job) {
        ModelChoice m = job.model();
        if (m != null && (m.preset() != null || m.shape() != null) && job.parametersM() != null) {
            bad("job.parametersM", "give job.model or job.parametersM, not both");
            return null;
        }
        if (m == null || (m.preset() == null && m.shape() == null)) {
            if (job.parametersM() == null) {
                bad("job.model", "job.model (a preset name or a shape) or job.parametersM is required");
                return null;
            }
            return byParameters(job);
        }
        if (job.tokensPerSample() != null) {
            bad("job.tokensPerSample", "only goes with job.parametersM; job.model gives seqLen");
        }
        if (job.layers() != null) {
            bad("job.layers", "only goes with job.parametersM; job.model gives the layers");
        }
        return m.preset() != null ? preset(m.preset()) : shape(m.shape());
    }

    private LayerModel byParameters(JobBody job) {
        boolean ok = true;
        if (!positive(job.parametersM()) || job.parametersM() > 1e7) {
            bad("job.parametersM", "must be positive and at most 10000000 (millions of parameters)");
            ok = false;
        }
        Integer tokens = job.tokensPerSample();
        if (tokens == null || tokens < 1 || tokens > 1 << 20) {
            bad("job.tokensPerSample", "is required with job.parametersM and must be between 1 and " + (1 << 20));
            ok = false;
        }
        Integer layers = job.layers();
        if (layers != null && (layers < 1 || layers > MAX_LAYERS)) {
            bad("job.layers", "must be between 1 and " + MAX_LAYERS + ", or absent to assume it from the size");
            ok = false;
        }
        if (!ok) {
            return null;
        }
        LayerModel model = LayerModel.ofParameters(job.parametersM(), layers == null ? 0 : layers, tokens);
        notes.add(String.format(Locale.ROOT, "model by size: %s M parameters in %d %s blocks of width %.0f "
                        + "(embeddings and head counted in the blocks, logits over %d tokens)",
                number(job.parametersM()), model.layers(), layers == null ? "assumed" : "given", model.dModel(),
                io.crosstrain.planner.ModelProfile.ASSUMED_VOCAB));
        return model;
    }

    /**
     * A preset by name. An unknown name, like an unknown chip, names something that does not exist: 422, not 400.
     */
    private LayerModel preset(String name) {
        if (name.isBlank()) {
            bad("job.model", "must be a preset name (" + ModelPresets.NAMES + ") or a shape");
            return null;
        }
        ModelPresets.Preset p = ModelPresets.find(name).orElse(null);
        if (p == null) {
            unknown.add(new FieldError("job.model", "unknown model preset '" + name + "'; presets: "
                    + String.join(", ", ModelPresets.ALL.keySet()) + ", or give the shape"));
            return null;
        }
        ModelSpec s = p.spec();
        LayerModel model = LayerModel.of(s, p.vocab());
        notes.add(String.format(Locale.ROOT, "model preset %s: %d layers, dModel %d, %d heads, seqLen %d, "
                        + "vocabulary %d%s, %.2f B parameters", p.name(), s.layers(), s.dModel(), s.heads(),
                s.seqLen(), p.vocab(), s.vocabSize() > 0 ? "" : " (the bundled corpus's)", model.parameters() / 1e9));
        return model;
    }

    private LayerModel shape(ModelBody m) {
        boolean ok = range("job.model.layers", m.layers(), 1, MAX_LAYERS)
                & range("job.model.dModel", m.dModel(), 1, 1 << 17)
                & range("job.model.heads", m.heads(), 1, 1024)
                & range("job.model.seqLen", m.seqLen(), 1, 1 << 20)
                & range("job.model.vocabSize", m.vocabSize(), 1, 10_000_000);
        return ok ? LayerModel.of(new ModelSpec(m.layers(), m.dModel(), m.heads(), m.seqLen(), m.vocabSize()), 0)
                : null;
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }

    private Placement placement(Placement p, Set<String> dcIds) {
        if (p == null) {
            return null;
        }
        if (p.datacenters() != null) {
            for (int i = 0; i < p.datacenters().size(); i++) {
                datacenterRef("job.placement.datacenters[" + i + "]", p.datacenters().get(i), dcIds);
            }
        }
        if (p.chips() != null) {
            for (int i = 0; i < p.chips().size(); i++) {
                String chip = p.chips().get(i);
                if (blank(chip)) {
                    bad("job.placement.chips[" + i + "]", "must be a chip name");
                } else if (catalogue.find(chip).isEmpty()) {
                    unknown.add(new FieldError("job.placement.chips[" + i + "]", "unknown chip '" + chip
                            + "'; known chips: " + knownChips()));
                }
            }
        }
        if (p.labels() != null && p.labels().values().stream().anyMatch(v -> v == null)) {
            bad("job.placement.labels", "label values must be strings");
        }
        if (p.minMemoryGb() != null && !(p.minMemoryGb() >= 0 && !p.minMemoryGb().isInfinite())) {
            bad("job.placement.minMemoryGb", "must be ≥ 0 or absent");
        }
        if (p.minDevices() != null && p.minDevices() < 1) {
            bad("job.placement.minDevices", "must be at least 1 or absent");
        }
        if (p.maxDevices() != null && p.maxDevices() < 1) {
            bad("job.placement.maxDevices", "must be at least 1 or absent");
        } else if (p.maxDevices() != null && p.minDevices() != null && p.maxDevices() < p.minDevices()) {
            bad("job.placement.maxDevices", "must not be below job.placement.minDevices");
        }
        return p;
    }

    /** True when {@code id} names a declared datacenter; records the error otherwise. */
    private boolean datacenterRef(String field, String id, Set<String> dcIds) {
        if (blank(id)) {
            bad(field, "is required");
            return false;
        }
        if (!dcIds.contains(id)) {
            unknown.add(new FieldError(field, "no datacenter '" + id + "' in datacenters"));
            return false;
        }
        return true;
    }

    private boolean range(String field, Integer value, int min, int max) {
        if (value == null || value < min || value > max) {
            bad(field, "is required and must be between " + min + " and " + max);
            return false;
        }
        return true;
    }

    private void bad(String field, String message) {
        malformed.add(new FieldError(field, message));
    }

    private String knownChips() {
        return catalogue.all().stream().map(ChipSpec::name).collect(Collectors.joining(", "));
    }

    private static boolean positive(Double v) {
        return v != null && v > 0 && !v.isInfinite();
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
