package io.crosstrain.planner;

import io.crosstrain.contracts.JobSpec;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks a {@link ClusterPlanner.Request} before planning: malformed parts throw {@link IllegalArgumentException}
 * naming what is wrong. Also the planner's few ways of printing numbers.
 */
final class ClusterInputs {

    private ClusterInputs() {
    }

    static void checkJob(ClusterPlanner.Job job) {
        if (job.globalBatch() <= 0) {
            throw new IllegalArgumentException("globalBatch must be positive, got " + job.globalBatch());
        }
        strategy(job.strategy());
        allocation(job.allocation());
        if (job.h() != null && job.h() < 1) {
            throw new IllegalArgumentException("h must be at least 1, got " + job.h());
        }
        Double codec = job.codecBytesPerParameter();
        if (codec != null && !(codec > 0 && codec <= ClusterPlanner.FP32_BYTES)) {
            throw new IllegalArgumentException("codecBytesPerParameter must be in (0, 4], got " + codec);
        }
        Double ratio = job.targetCommRatio();
        if (ratio != null && (!(ratio > 0) || ratio.isInfinite())) {
            throw new IllegalArgumentException("targetCommRatio must be positive and finite, got " + ratio);
        }
        Double scale = job.memoryScale();
        if (scale != null && (!(scale > 0) || scale.isInfinite())) {
            throw new IllegalArgumentException("memoryScale must be positive and finite, got " + scale);
        }
        if (job.stages() != null && job.stages() < 1) {
            throw new IllegalArgumentException("stages must be at least 1, got " + job.stages());
        }
        if (job.model() == null && job.layers() == null) {
            throw new IllegalArgumentException("job.model or job.layers is required");
        }
    }

    static void checkEmulation(ClusterPlanner.Emulation e) {
        if (e == null) {
            return;
        }
        if (e.timeScale() != null && (!(e.timeScale() > 0) || e.timeScale().isInfinite())) {
            throw new IllegalArgumentException("timeScale must be positive and finite, got " + e.timeScale());
        }
        if (e.timeScale() == null && e.hostCores() < 1) {
            throw new IllegalArgumentException("hostCores must be at least 1 to calibrate the time scale, got "
                    + e.hostCores());
        }
        if (!(e.cpuBudget() > 0 && e.cpuBudget() <= 1)) {
            throw new IllegalArgumentException("cpuBudget must be in (0, 1], got " + e.cpuBudget());
        }
        if (!(e.minStepSeconds() >= 0) || Double.isInfinite(e.minStepSeconds())) {
            throw new IllegalArgumentException("minStepSeconds must be >= 0, got " + e.minStepSeconds());
        }
    }

    static String strategy(String s) {
        if (s == null || s.equals(JobSpec.AUTO)) {
            return JobSpec.AUTO;
        }
        if (s.equals(JobSpec.SYNC_DP) || s.equals(JobSpec.DILOCO)) {
            return s;
        }
        throw new IllegalArgumentException("strategy must be auto, sync-dp or diloco, got '" + s + "'");
    }

    /** True for the equal split. */
    static boolean allocation(String allocation) {
        if (allocation == null || allocation.equals(JobSpec.BALANCED)) {
            return false;
        }
        if (allocation.equals(JobSpec.EQUAL)) {
            return true;
        }
        throw new IllegalArgumentException("allocation must be '" + JobSpec.BALANCED + "' or '" + JobSpec.EQUAL
                + "', got '" + allocation + "'");
    }

    /** Datacenter id → intra bandwidth in Gbit/s. */
    static Map<String, Double> datacenters(ClusterPlanner.Request r, double defaultIntraGbps) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (r.datacenters() == null || r.datacenters().isEmpty()) {
            for (ClusterPlanner.Device d : Objects.requireNonNull(r.devices(), "devices")) {
                if (d != null && d.datacenter() != null && !d.datacenter().isBlank()) {
                    out.put(d.datacenter(), defaultIntraGbps);
                }
            }
            return out;
        }
        for (ClusterPlanner.Datacenter dc : r.datacenters()) {
            Objects.requireNonNull(dc, "datacenter");
            if (dc.id() == null || dc.id().isBlank()) {
                throw new IllegalArgumentException("a datacenter has no id");
            }
            Double gbps = dc.intraGbps() == null ? defaultIntraGbps : dc.intraGbps();
            if (!(gbps > 0) || gbps.isInfinite()) {
                throw new IllegalArgumentException("datacenter " + dc.id() + ": intraGbps must be positive, got "
                        + gbps);
            }
            if (out.put(dc.id(), gbps) != null) {
                throw new IllegalArgumentException("datacenter " + dc.id() + " is listed twice");
            }
        }
        return out;
    }

    static Map<String, ClusterPlanner.Link> links(List<ClusterPlanner.Link> links, Set<String> known) {
        Map<String, ClusterPlanner.Link> out = new HashMap<>();
        if (links == null) {
            return out;
        }
        for (ClusterPlanner.Link l : links) {
            Objects.requireNonNull(l, "link");
            for (String end : new String[] {l.from(), l.to()}) {
                if (end == null || !known.contains(end)) {
                    throw new IllegalArgumentException("link " + l.from() + "–" + l.to() + " names unknown datacenter "
                            + end);
                }
            }
            if (l.from().equals(l.to())) {
                throw new IllegalArgumentException("link " + l.from() + "–" + l.to() + " joins a datacenter to itself");
            }
            if (!(l.gbps() > 0) || Double.isInfinite(l.gbps())) {
                throw new IllegalArgumentException("link " + l.from() + "–" + l.to() + ": gbps must be positive, got "
                        + l.gbps());
            }
            if (!(l.latencyMs() >= 0) || Double.isInfinite(l.latencyMs())) {
                throw new IllegalArgumentException("link " + l.from() + "–" + l.to() + ": latencyMs must be ≥ 0, got "
                        + l.latencyMs());
            }
            if (out.put(pair(l.from(), l.to()), l) != null) {
                throw new IllegalArgumentException("link " + l.from() + "–" + l.to() + " is given twice");
            }
        }
        return out;
    }

    static List<ClusterPlanner.Device> devices(List<ClusterPlanner.Device> devices, Set<String> known) {
        Objects.requireNonNull(devices, "devices");
        Set<String> ids = new HashSet<>();
        for (ClusterPlanner.Device d : devices) {
            Objects.requireNonNull(d, "device");
            if (d.id() == null || d.id().isBlank()) {
                throw new IllegalArgumentException("a device has no id");
            }
            if (!ids.add(d.id())) {
                throw new IllegalArgumentException("device " + d.id() + " appears twice");
            }
            if (d.datacenter() == null || !known.contains(d.datacenter())) {
                throw new IllegalArgumentException("device " + d.id() + " is in unknown datacenter "
                        + d.datacenter());
            }
            Double s = d.samplesPerSec();
            if (s != null && (!(s > 0) || s.isInfinite())) {
                throw new IllegalArgumentException("device " + d.id() + ": samplesPerSec must be positive, got " + s);
            }
            if (d.maxMicroBatch() != null && d.maxMicroBatch() < 0) {
                throw new IllegalArgumentException("device " + d.id() + ": maxMicroBatch must be ≥ 0, got "
                        + d.maxMicroBatch());
            }
            Double m = d.memoryGb();
            if (m != null && (!(m > 0) || m.isInfinite())) {
                throw new IllegalArgumentException("device " + d.id() + ": memoryGb must be positive, got " + m);
            }
            if (!(d.cpuSecondsPerSample() >= 0) || Double.isInfinite(d.cpuSecondsPerSample())) {
                throw new IllegalArgumentException("device " + d.id() + ": cpuSecondsPerSample must be "
                        + "non-negative and finite, got " + d.cpuSecondsPerSample());
            }
        }
        return devices;
    }

    static String pair(String a, String b) {
        return a.compareTo(b) < 0 ? a + "\u0000" + b : b + "\u0000" + a;
    }

    static String key(String chip) {
        return chip.trim().toLowerCase(Locale.ROOT);
    }

    static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }

    static String percent(double v) {
        return String.format(Locale.ROOT, "%.1f %%", 100 * v);
    }

    static String bytes(double b) {
        String[] units = {"B", "KB", "MB", "GB", "TB"};
        int u = 0;
        while (b >= 1000 && u < units.length - 1) {
            b /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.3g %s", b, units[u]);
    }
}
