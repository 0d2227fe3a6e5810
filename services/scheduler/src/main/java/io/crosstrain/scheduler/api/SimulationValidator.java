package io.crosstrain.scheduler.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Placement;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ChipSpec;
import io.crosstrain.planner.ClusterPlanner;
import io.crosstrain.planner.ModelProfile;
import io.crosstrain.scheduler.api.SimulationRequest.DatacenterBody;
import io.crosstrain.scheduler.api.SimulationRequest.DeviceBody;
import io.crosstrain.scheduler.api.SimulationRequest.JobBody;
import io.crosstrain.scheduler.api.SimulationRequest.LinkBody;
import io.crosstrain.scheduler.api.SimulationRequest.ModelBody;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

/**
 * Checks a simulation request and turns it into a {@link ClusterPlanner.Request}. Every field at fault is reported
 * at once by its JSON path; the answer is 400 when something is malformed and 422 when everything is well formed
 * but a datacenter or chip it names does not exist.
 */
final class SimulationValidator {

    static final int MAX_DEVICES = 100_000;
    static final int MAX_GLOBAL_BATCH = 100_000_000;
    /** Bytes per parameter on the WAN; the blockwise codecs carry one fp32 scale per 64 values (tensor-codec). */
    static final Map<String, Double> CODECS = Map.of("fp32", 4.0, "bf16", 2.0, "fp16", 2.0, "int8", 1.0625,
            "int4", 0.5625);

    private final ChipCatalogue catalogue;
    private final List<FieldError> malformed = new ArrayList<>();
    private final List<FieldError> unknown = new ArrayList<>();

    private SimulationValidator(ChipCatalogue catalogue) {
        this.catalogue = catalogue;
    }

    /** @throws RequestRejectedException 400 or 422 naming every field at fault */
    static ClusterPlanner.Request validate(SimulationRequest body, ChipCatalogue catalogue) {
        return new SimulationValidator(catalogue).check(body);
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
            throw new RequestRejectedException(422, "the request names a datacenter or chip that does not exist",
                    unknown);
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
        ModelProfile model = model(job);
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
        Double codec = null;
        if (job.codec() != null) {
            codec = CODECS.get(job.codec());
            if (codec == null) {
                bad("job.codec", "must be one of fp32, bf16, fp16, int8, int4");
            }
        }
        if (job.targetCommRatio() != null && !positive(job.targetCommRatio())) {
            bad("job.targetCommRatio", "must be positive or absent (absent = 0.1)");
        }
        Placement placement = placement(job.placement(), dcIds);
        if (model == null || g == null || !malformed.isEmpty()) {
            return null;
        }
        return new ClusterPlanner.Job(model, g, Boolean.TRUE.equals(job.allowGradientAccumulation()), strategy,
                job.h(), codec, job.targetCommRatio(), placement);
    }

    private ModelProfile model(JobBody job) {
        ModelBody m = job.model();
        if (m != null && job.parametersM() != null) {
            bad("job.parametersM", "give job.model or job.parametersM, not both");
            return null;
        }
        if (m == null && job.parametersM() == null) {
            bad("job.model", "job.model or job.parametersM is required");
            return null;
        }
        if (m == null) {
            boolean ok = true;
            if (!positive(job.parametersM()) || job.parametersM() > 1e7) {
                bad("job.parametersM", "must be positive and at most 10000000 (millions of parameters)");
                ok = false;
            }
            Integer tokens = job.tokensPerSample();
            if (tokens == null || tokens < 1 || tokens > 1 << 20) {
                bad("job.tokensPerSample", "is required with job.parametersM and must be between 1 and "
                        + (1 << 20));
                ok = false;
            }
            return ok ? ModelProfile.ofParameters(job.parametersM(), tokens) : null;
        }
        if (job.tokensPerSample() != null) {
            bad("job.tokensPerSample", "only goes with job.parametersM; job.model gives seqLen");
        }
        boolean ok = range("job.model.layers", m.layers(), 1, 1000)
                & range("job.model.dModel", m.dModel(), 1, 1 << 17)
                & range("job.model.heads", m.heads(), 1, 1024)
                & range("job.model.seqLen", m.seqLen(), 1, 1 << 20)
                & range("job.model.vocabSize", m.vocabSize(), 1, 10_000_000);
        return ok ? ModelProfile.of(new ModelSpec(m.layers(), m.dModel(), m.heads(), m.seqLen(), m.vocabSize()), 0)
                : null;
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
