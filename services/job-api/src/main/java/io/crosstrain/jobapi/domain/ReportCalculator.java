package io.crosstrain.jobapi.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;

/**
 * Turns a plan and its step metrics into a {@link Report}. Plain Java so every figure can be checked by hand.
 * Metrics that report a device error are left out: they carry no work.
 *
 * <p>Measurement window: the steps after the first {@code W = max(1, n/10)} warm-up steps, where {@code n} is the
 * number of distinct steps reported (all steps when {@code n <= 2}). Within it:
 * <ul>
 *   <li>window wall time = max endedAtMs − min startedAtMs over every device;</li>
 *   <li>a device's solo speed = Σ batch / Σ busyMs · 1000, its busy fraction = Σ busyMs / wall;</li>
 *   <li>achieved samples/s = Σ batch of all devices / wall; ideal = Σ solo speeds; η = achieved / ideal;</li>
 *   <li>communication fraction = Σ commMs / Σ stepMs.</li>
 * </ul>
 */
public final class ReportCalculator {

    private ReportCalculator() {
    }

    public static Report compute(UUID jobId, String name, JobState state, Plan plan, List<StepMetric> metrics,
                                 Report.Baseline baseline) {
        return compute(jobId, name, state, plan, List.of(plan), metrics, baseline);
    }

    /**
     * @param plan     the latest plan version
     * @param versions every plan version the job ran under (replica hashes are compared within each)
     */
    public static Report compute(UUID jobId, String name, JobState state, Plan plan, List<Plan> versions,
                                 List<StepMetric> metrics, Report.Baseline baseline) {
        // an error report carries no work done (its loss is NaN, its timings zero)
        metrics = metrics.stream().filter(m -> m.error() == null).toList();
        if (metrics.isEmpty()) {
            throw new IllegalArgumentException("no metrics");
        }
        TreeSet<Integer> steps = new TreeSet<>();
        long samples = 0;
        long firstStart = Long.MAX_VALUE;
        long lastEnd = Long.MIN_VALUE;
        long parameters = 0;
        // per step, the round's samples as the relays committed them, where the workers report it
        // (under DiLoCo an inner round is one datacenter's: its samples add up over the datacenters)
        Map<String, Integer> roundSamples = new HashMap<>();
        boolean allRounds = true;
        for (StepMetric m : metrics) {
            if (m.roundSamples() > 0) {
                String key = plan.diloco() ? m.step() + "\u0000" + m.datacenter() : String.valueOf(m.step());
                roundSamples.merge(key, m.roundSamples(), Math::max);
            } else {
                allRounds = false;
            }
        }
        for (StepMetric m : metrics) {
            steps.add(m.step());
            samples += allRounds ? 0 : m.batch();
            firstStart = Math.min(firstStart, m.startedAtMs());
            lastEnd = Math.max(lastEnd, m.endedAtMs());
            parameters = Math.max(parameters, m.parameters());
        }
        if (allRounds) {
            samples = roundSamples.values().stream().mapToLong(Integer::longValue).sum();
        }
        int n = steps.size();
        int warmup = n <= 2 ? 0 : Math.max(1, n / 10);
        Set<Integer> window = new TreeSet<>(new ArrayList<>(steps).subList(warmup, n));
        List<StepMetric> inWindow = metrics.stream().filter(m -> window.contains(m.step())).toList();

        String mode = plan.mode() != null ? plan.mode()
                : metrics.stream().map(StepMetric::mode).filter(m -> m != null).findFirst().orElse(null);
        boolean onDevice = Plan.MEASURED.equals(mode);
        Efficiency eff = efficiency(plan, inWindow, metrics, onDevice);
        Report.Efficiency efficiency = new Report.Efficiency(eff.eta,
                baseline != null && baseline.eta() != null ? baseline.eta() : predicted(plan, true),
                baseline != null && baseline.eta() != null ? "measured" : "predicted",
                baseline != null && baseline.eta() != null ? baseline.jobId() : null,
                eff.achieved, eff.ideal, eff.communication, predicted(plan, false), warmup, window.size(),
                onDevice ? Report.ETA_MEASURED : Report.ETA_EMULATED);

        Report.Emulation emulation = onDevice ? null : new Report.Emulation(plan.timeScale());

        return new Report(jobId, name, state, mode, plan.strategy(), plan.allocation(), plan.planVersion(), n, samples,
                (lastEnd - firstStart) / 1000.0, parameters, loss(metrics), efficiency, eff.devices,
                wan(plan, metrics, n, parameters), emulation, replicas(versions, metrics));
    }

    /** η measured over the window, for using a finished job as another job's equal-split baseline. */
    public static Double measuredEta(Plan plan, List<StepMetric> metrics) {
        if (metrics.stream().noneMatch(m -> m.error() == null)) {
            return null;
        }
        return compute(plan.jobId(), null, null, plan, metrics, null).efficiency().eta();
    }

    private record Efficiency(Double eta, Double achieved, Double ideal, Double communication,
                              List<Report.DeviceFigures> devices) {
    }

    private static Efficiency efficiency(Plan plan, List<StepMetric> window, List<StepMetric> all,
                                         boolean onDevice) {
        long start = window.stream().mapToLong(StepMetric::startedAtMs).min().orElse(0);
        long end = window.stream().mapToLong(StepMetric::endedAtMs).max().orElse(0);
        double wallMs = end - start;

        // plan devices in rank order, then any device that reported under an earlier plan version
        Map<String, PlanDevice> planned = new LinkedHashMap<>();
        plan.devices().stream().sorted(Comparator.comparingInt(PlanDevice::rank))
                .forEach(d -> planned.put(d.deviceId(), d));
        Set<String> ids = new LinkedHashSet<>(planned.keySet());
        all.forEach(m -> ids.add(m.deviceId()));

        Map<String, List<StepMetric>> windowByDevice = new HashMap<>();
        window.forEach(m -> windowByDevice.computeIfAbsent(m.deviceId(), k -> new ArrayList<>()).add(m));
        Map<String, StepMetric> latestByDevice = new HashMap<>();
        all.forEach(m -> latestByDevice.merge(m.deviceId(), m, (a, b) -> b.step() > a.step() ? b : a));

        List<Report.DeviceFigures> devices = new ArrayList<>();
        double ideal = 0;
        boolean anySpeed = false;
        long windowBatch = 0;
        double comm = 0;
        double stepMs = 0;
        for (String id : ids) {
            List<StepMetric> mine = windowByDevice.getOrDefault(id, List.of());
            long batch = mine.stream().mapToLong(StepMetric::batch).sum();
            double busy = mine.stream().mapToDouble(StepMetric::busyMs).sum();
            Double speed = busy > 0 ? batch / busy * 1000.0 : null;
            if (speed != null) {
                ideal += speed;
                anySpeed = true;
            }
            PlanDevice p = planned.get(id);
            StepMetric latest = latestByDevice.get(id);
            devices.add(new Report.DeviceFigures(id,
                    p != null ? p.datacenter() : latest == null ? null : latest.datacenter(),
                    p != null ? p.chip() : latest == null ? null : latest.chip(),
                    p != null ? p.batch() : latest == null ? 0 : latest.batch(),
                    speed, wallMs > 0 ? busy / wallMs : null,
                    onDevice ? Report.SPEED_MEASURED : Report.SPEED_PACED));
        }
        for (StepMetric m : window) {
            windowBatch += m.batch();
            comm += m.commMs();
            stepMs += m.stepMs();
        }
        Double achieved = wallMs > 0 ? windowBatch / wallMs * 1000.0 : null;
        Double idealOrNull = anySpeed ? ideal : null;
        Double eta = achieved != null && idealOrNull != null && idealOrNull > 0 ? achieved / idealOrNull : null;
        return new Efficiency(eta, achieved, idealOrNull, stepMs > 0 ? comm / stepMs : null, devices);
    }

    private static Double predicted(Plan plan, boolean equalSplit) {
        Plan.Prediction p = plan.predicted();
        if (p == null) {
            return null;
        }
        return equalSplit ? p.equalSplitEta() : p.eta();
    }

    private static Report.Loss loss(List<StepMetric> metrics) {
        // per step: Σ batch·loss, Σ batch, Σ loss, count
        Map<Integer, double[]> perStep = new TreeMap<>();
        for (StepMetric m : metrics) {
            double[] acc = perStep.computeIfAbsent(m.step(), s -> new double[4]);
            acc[0] += m.batch() * m.loss();
            acc[1] += m.batch();
            acc[2] += m.loss();
            acc[3]++;
        }
        List<Report.LossPoint> curve = new ArrayList<>();
        // a step whose devices all report batch 0 falls back to the plain mean
        perStep.forEach((step, acc) -> curve.add(new Report.LossPoint(step,
                acc[1] > 0 ? acc[0] / acc[1] : acc[2] / acc[3])));
        return new Report.Loss(curve.isEmpty() ? null : curve.get(0).loss(),
                curve.isEmpty() ? null : curve.get(curve.size() - 1).loss(), curve);
    }

    private static Report.Wan wan(Plan plan, List<StepMetric> metrics, int steps, long parameters) {
        Map<String, String> dcOf = new HashMap<>();
        plan.devices().forEach(d -> dcOf.put(d.deviceId(), d.datacenter()));
        // every device of a datacenter reports the same figure for a step: count each datacenter once per step
        Map<String, Long> perDcStep = new HashMap<>();
        for (StepMetric m : metrics) {
            String dc = m.datacenter() != null ? m.datacenter() : dcOf.getOrDefault(m.deviceId(), m.deviceId());
            perDcStep.merge(dc + "\u0000" + m.step(), m.wanBytes(), Math::max);
        }
        long bytes = perDcStep.values().stream().mapToLong(Long::longValue).sum();
        Set<String> dcs = new TreeSet<>();
        if (plan.datacenters() != null && !plan.datacenters().isEmpty()) {
            dcs.addAll(plan.datacenters());
        } else {
            plan.devices().forEach(d -> dcs.add(d.datacenter()));
        }
        long nDc = dcs.size();
        long syncDp = steps * nDc * (nDc - 1) * parameters * 4L;
        return new Report.Wan(bytes, syncDp, bytes > 0 ? syncDp / (double) bytes : null);
    }

    private static Report.Replicas replicas(List<Plan> versions, List<StepMetric> metrics) {
        Map<Integer, List<String>> devicesOf = new HashMap<>();
        for (Plan p : versions) {
            devicesOf.put(p.planVersion(), p.devices().stream().sorted(Comparator.comparingInt(PlanDevice::rank))
                    .map(PlanDevice::deviceId).toList());
        }
        // (plan version, step) → device → hash, in version then step order
        Map<Long, Map<String, String>> hashes = new TreeMap<>();
        for (StepMetric m : metrics) {
            if (m.weightsHash() != null && devicesOf.containsKey(m.planVersion())) {
                hashes.computeIfAbsent(((long) m.planVersion() << 32) | m.step(), k -> new HashMap<>())
                        .put(m.deviceId(), m.weightsHash());
            }
        }
        int checked = 0;
        boolean identical = true;
        String lastHash = null;
        int lastStep = Integer.MIN_VALUE;
        for (Map.Entry<Long, Map<String, String>> e : hashes.entrySet()) {
            int version = (int) (e.getKey() >>> 32);
            int step = (int) (long) e.getKey();
            List<String> devices = devicesOf.get(version);
            if (!ReplicaCheck.compared(devices, e.getValue())) {
                continue;
            }
            checked++;
            boolean agree = ReplicaCheck.divergence(step, version, devices, e.getValue()).isEmpty();
            identical &= agree;
            if (step >= lastStep) {
                lastStep = step;
                lastHash = agree ? e.getValue().values().iterator().next() : null;
            }
        }
        return new Report.Replicas(checked > 0 && identical, checked, lastHash);
    }
}
