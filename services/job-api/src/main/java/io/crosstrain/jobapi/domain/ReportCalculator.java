package io.crosstrain.jobapi.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.PlanLayout;
import io.crosstrain.contracts.PlanStage;
import io.crosstrain.contracts.StepMetric;

/**
 * Turns a plan and its step metrics into a {@link Report}. Plain Java so every figure can be checked by hand.
 * Metrics that report a device error are left out: they carry no work. So are, per step, those of plan versions older
 * than the newest that reported the step (a resume plan redid it), except for the wall time.
 *
 * <p>Measurement window: the steps after the first {@code W = max(1, n/10)} warm-up steps, where {@code n} is the
 * number of distinct steps reported (all steps when {@code n <= 2}). Within it:
 * <ul>
 *   <li>window wall time = max endedAtMs − min startedAtMs over every device;</li>
 *   <li>a device's busy fraction = Σ busyMs / wall; its solo speed on the whole model: for a whole replica
 *       Σ batch / Σ busyMs · 1000, for a pipeline stage the mean of its metrics' {@code samplesPerSec} (the
 *       whole-model speed of the chip it stands for, chip time) × k;</li>
 *   <li>achieved samples/s = Σ batch / wall, each replica counted once per step (every stage of a pipelined
 *       replica reports the replica's batch); ideal = Σ solo speeds; η = achieved / ideal;</li>
 *   <li>communication fraction = Σ commMs / Σ stepMs;</li>
 *   <li>a pipelined replica's bubble = 1 − the busy fraction of its busiest stage.</li>
 * </ul>
 * Which device holds what (whole replica or stage) is read from the plan version each metric was reported under.
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
        // the wall time is what the run took, redone steps included; every other figure counts a step once
        long firstStart = metrics.stream().mapToLong(StepMetric::startedAtMs).min().orElseThrow();
        long lastEnd = metrics.stream().mapToLong(StepMetric::endedAtMs).max().orElseThrow();
        metrics = newestVersionPerStep(metrics);
        Roles roles = new Roles(plan, versions);
        TreeSet<Integer> steps = new TreeSet<>();
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
            parameters = Math.max(parameters, m.parameters());
        }
        long samples = allRounds ? roundSamples.values().stream().mapToLong(Integer::longValue).sum()
                : replicaSamples(metrics, roles);
        int n = steps.size();
        int warmup = n <= 2 ? 0 : Math.max(1, n / 10);
        Set<Integer> window = new TreeSet<>(new ArrayList<>(steps).subList(warmup, n));
        List<StepMetric> inWindow = metrics.stream().filter(m -> window.contains(m.step())).toList();

        String mode = plan.mode() != null ? plan.mode()
                : metrics.stream().map(StepMetric::mode).filter(m -> m != null).findFirst().orElse(null);
        boolean onDevice = Plan.MEASURED.equals(mode);
        Efficiency eff = efficiency(plan, roles, inWindow, metrics, onDevice);
        List<Report.Layout> layouts = layouts(plan, eff);
        Report.Efficiency efficiency = new Report.Efficiency(eff.eta,
                baseline != null && baseline.eta() != null ? baseline.eta() : predicted(plan, true),
                baseline != null && baseline.eta() != null ? "measured" : "predicted",
                baseline != null && baseline.eta() != null ? baseline.jobId() : null,
                eff.achieved, eff.ideal, eff.communication, predicted(plan, false), warmup, window.size(),
                onDevice ? Report.ETA_MEASURED : Report.ETA_EMULATED,
                plan.predicted() == null ? null : plan.predicted().bubbleFraction());

        Report.Emulation emulation = onDevice ? null
                : new Report.Emulation(plan.timeScale(), plan.memoryScaleOrDefault());

        return new Report(jobId, name, state, mode, plan.strategy(), plan.allocation(), plan.planVersion(), n, samples,
                (lastEnd - firstStart) / 1000.0, parameters, loss(metrics), efficiency,
                bubble(layouts.stream().flatMap(l -> l.replicas().stream()).toList()), eff.devices, layouts,
                wan(plan, metrics, n, parameters), emulation, replicas(plan, versions, metrics), List.of());
    }

    /**
     * Per step, only the metrics of the newest plan version that reported it. A version that resumes from a
     * checkpoint redoes the steps after it; what older versions reported for those steps was lost work.
     */
    static List<StepMetric> newestVersionPerStep(List<StepMetric> metrics) {
        Map<Integer, Integer> newest = new HashMap<>();
        metrics.forEach(m -> newest.merge(m.step(), m.planVersion(), Math::max));
        return metrics.stream().filter(m -> m.planVersion() == newest.get(m.step())).toList();
    }

    /** η measured over the window, for using a finished job as another job's equal-split baseline. */
    public static Double measuredEta(Plan plan, List<StepMetric> metrics) {
        if (metrics.stream().noneMatch(m -> m.error() == null)) {
            return null;
        }
        return compute(plan.jobId(), null, null, plan, metrics, null).efficiency().eta();
    }

    /** What each device held under each plan version (whole replica or stage), read off the plans. */
    private static final class Roles {
        private final Map<Integer, Map<String, PlanDevice>> byVersion = new HashMap<>();
        private final Map<String, PlanDevice> latest = new HashMap<>();

        Roles(Plan plan, List<Plan> versions) {
            versions.stream().sorted(Comparator.comparingInt(Plan::planVersion)).forEach(this::add);
            add(plan);
        }

        private void add(Plan p) {
            Map<String, PlanDevice> devices = new HashMap<>();
            p.devices().forEach(d -> devices.put(d.deviceId(), d));
            byVersion.put(p.planVersion(), devices);
            latest.putAll(devices); // versions in order: the newest role of a device wins
        }

        /** The device's role when it reported {@code m}; null when that version is not known. */
        PlanDevice of(StepMetric m) {
            return byVersion.getOrDefault(m.planVersion(), Map.of()).get(m.deviceId());
        }

        boolean staged(StepMetric m) {
            PlanDevice p = of(m);
            return p != null && p.staged();
        }

        /** Its role in the newest version that has it. */
        PlanDevice latest(String deviceId) {
            return latest.get(deviceId);
        }

        /** Every stage of a pipelined replica reports the replica's batch: one key per replica and step. */
        String replicaStep(StepMetric m) {
            PlanDevice p = of(m);
            String replica = p != null && p.staged() ? "r\u0000" + p.replicaOrSelf() : "d\u0000" + m.deviceId();
            return m.planVersion() + "\u0000" + m.step() + "\u0000" + replica;
        }
    }

    /** Σ batch, each replica counted once per (plan version, step): the largest batch any of its devices reported. */
    private static long replicaSamples(List<StepMetric> metrics, Roles roles) {
        Map<String, Integer> perReplicaStep = new HashMap<>();
        metrics.forEach(m -> perReplicaStep.merge(roles.replicaStep(m), m.batch(), Math::max));
        return perReplicaStep.values().stream().mapToLong(Integer::longValue).sum();
    }

    private record Efficiency(Double eta, Double achieved, Double ideal, Double communication,
                              List<Report.DeviceFigures> devices, Map<String, Double> busyFraction,
                              Map<String, Double> stepSeconds) {
    }

    private static Efficiency efficiency(Plan plan, Roles roles, List<StepMetric> window, List<StepMetric> all,
                                         boolean onDevice) {
        long start = window.stream().mapToLong(StepMetric::startedAtMs).min().orElse(0);
        long end = window.stream().mapToLong(StepMetric::endedAtMs).max().orElse(0);
        double wallMs = end - start;
        // a stage's samplesPerSec is chip time: × k gives its paced whole-model speed in wall samples/s
        double k = !onDevice && plan.timeScale() != null && plan.timeScale() > 0 ? plan.timeScale() : 1.0;

        // plan devices in rank order, then any device that reported under an earlier plan version
        Map<String, PlanDevice> planned = new LinkedHashMap<>();
        plan.devices().stream().sorted(Comparator.comparingInt(PlanDevice::rank))
                .forEach(d -> planned.put(d.deviceId(), d));
        Set<String> ids = new LinkedHashSet<>(planned.keySet());
        all.forEach(m -> ids.add(m.deviceId()));

        Map<String, List<StepMetric>> windowByDevice = new HashMap<>();
        window.forEach(m -> windowByDevice.computeIfAbsent(m.deviceId(), x -> new ArrayList<>()).add(m));
        Map<String, StepMetric> latestByDevice = new HashMap<>();
        all.forEach(m -> latestByDevice.merge(m.deviceId(), m, (a, b) -> b.step() > a.step() ? b : a));

        List<Report.DeviceFigures> devices = new ArrayList<>();
        Map<String, Double> busyFractions = new HashMap<>();
        Map<String, Double> stepSeconds = new HashMap<>();
        double ideal = 0;
        boolean anySpeed = false;
        double comm = 0;
        double stepMs = 0;
        for (String id : ids) {
            List<StepMetric> mine = windowByDevice.getOrDefault(id, List.of());
            PlanDevice role = planned.containsKey(id) ? planned.get(id) : roles.latest(id);
            boolean staged = role != null && role.staged();
            Double speed = staged ? stageSpeed(role, mine, roles, onDevice, k) : wholeSpeed(mine, roles);
            if (speed != null) {
                ideal += speed;
                anySpeed = true;
            }
            double busy = mine.stream().mapToDouble(StepMetric::busyMs).sum();
            Double busyFraction = wallMs > 0 ? busy / wallMs : null;
            busyFractions.put(id, busyFraction);
            if (!mine.isEmpty()) {
                stepSeconds.put(id, mine.stream().mapToDouble(StepMetric::stepMs).average().orElse(0) / 1000.0);
            }
            PlanDevice p = planned.get(id);
            StepMetric latest = latestByDevice.get(id);
            devices.add(new Report.DeviceFigures(id,
                    p != null ? p.datacenter() : latest == null ? null : latest.datacenter(),
                    p != null ? p.chip() : latest == null ? null : latest.chip(),
                    p != null ? p.batch() : latest == null ? 0 : latest.batch(),
                    speed, busyFraction,
                    onDevice ? Report.SPEED_MEASURED : Report.SPEED_PACED,
                    staged ? role.replicaOrSelf() : null,
                    staged ? role.stage().index() : null,
                    staged ? layers(role) : null));
        }
        for (StepMetric m : window) {
            comm += m.commMs();
            stepMs += m.stepMs();
        }
        long windowBatch = replicaSamples(window, roles);
        Double achieved = wallMs > 0 ? windowBatch / wallMs * 1000.0 : null;
        Double idealOrNull = anySpeed ? ideal : null;
        Double eta = achieved != null && idealOrNull != null && idealOrNull > 0 ? achieved / idealOrNull : null;
        return new Efficiency(eta, achieved, idealOrNull, stepMs > 0 ? comm / stepMs : null, devices,
                busyFractions, stepSeconds);
    }

    /** A whole replica's solo speed: Σ batch / Σ busy over its window metrics as a whole replica, wall samples/s. */
    private static Double wholeSpeed(List<StepMetric> mine, Roles roles) {
        long batch = 0;
        double busy = 0;
        for (StepMetric m : mine) {
            if (!roles.staged(m)) {
                batch += m.batch();
                busy += m.busyMs();
            }
        }
        return busy > 0 ? batch / busy * 1000.0 : null;
    }

    /**
     * A stage's solo speed on the whole model, wall samples/s: the mean whole-model chip speed its window metrics
     * report, × k. A stage's busy time covers only its blocks, so Σ batch / Σ busy would overstate it. Metrics that
     * carry no speed (0) are skipped; when none does, under emulation the speed the plan paces the chip at.
     */
    private static Double stageSpeed(PlanDevice role, List<StepMetric> mine, Roles roles, boolean onDevice,
                                     double k) {
        List<StepMetric> asStage = mine.stream().filter(roles::staged).toList();
        if (asStage.isEmpty()) {
            return null;
        }
        OptionalDouble reported = asStage.stream().mapToDouble(StepMetric::samplesPerSec)
                .filter(s -> s > 0 && Double.isFinite(s)).average();
        if (reported.isPresent()) {
            return reported.getAsDouble() * k;
        }
        double paced = role.emulatedSpeed();
        return !onDevice && paced > 0 ? paced * k : null;
    }

    private static String layers(PlanDevice d) {
        return d.stage() == null ? null : d.stage().firstLayer() + "-" + d.stage().lastLayer();
    }

    /** Per datacenter of the latest plan: its layout, each replica's stages with their measured busy fraction. */
    private static List<Report.Layout> layouts(Plan plan, Efficiency eff) {
        Map<String, PlanLayout> planned = new HashMap<>();
        plan.layouts().forEach(l -> planned.put(l.datacenter(), l));
        Set<String> dcs = new TreeSet<>();
        if (plan.datacenters() != null) {
            dcs.addAll(plan.datacenters());
        }
        plan.devices().forEach(d -> dcs.add(d.datacenter()));
        dcs.addAll(planned.keySet());
        List<Report.Layout> out = new ArrayList<>();
        for (String dc : dcs) {
            List<PlanDevice> mine = plan.devicesIn(dc).stream().sorted(Comparator.comparingInt(PlanDevice::rank))
                    .toList();
            PlanLayout l = planned.get(dc);
            if (mine.isEmpty() && l == null) {
                continue;
            }
            Map<String, List<PlanDevice>> byReplica = new LinkedHashMap<>();
            for (PlanDevice d : mine) {
                String key = d.staged() ? "r\u0000" + d.replicaOrSelf() : "d\u0000" + d.deviceId();
                byReplica.computeIfAbsent(key, x -> new ArrayList<>()).add(d);
            }
            List<Report.ReplicaLayout> replicas = new ArrayList<>();
            for (List<PlanDevice> stages : byReplica.values()) {
                replicas.add(replica(stages, eff));
            }
            int stages = l != null ? l.stages()
                    : mine.stream().mapToInt(d -> d.staged() ? d.stage().stages() : 1).max().orElse(1);
            out.add(new Report.Layout(dc, stages, l == null ? null : l.microBatchSize(),
                    l == null ? null : l.stepSeconds(), l == null ? null : l.bubbleFraction(),
                    l == null ? null : l.eta(), bubble(replicas), replicas, l == null ? List.of() : l.idle()));
        }
        return out;
    }

    private static Report.ReplicaLayout replica(List<PlanDevice> devices, Efficiency eff) {
        List<PlanDevice> ordered = devices.stream()
                .sorted(Comparator.comparingInt(d -> d.stage() == null ? 0 : d.stage().index())).toList();
        PlanDevice first = ordered.get(0);
        boolean pipelined = first.staged();
        List<Report.StageFigures> stages = new ArrayList<>();
        Double step = null;
        Double busiest = null;
        boolean reported = false;
        for (PlanDevice d : ordered) {
            PlanStage s = d.stage();
            Double busy = eff.busyFraction.get(d.deviceId());
            stages.add(new Report.StageFigures(s == null ? 0 : s.index(), d.deviceId(), d.chip(),
                    s == null ? null : s.firstLayer(), s == null ? null : s.lastLayer(), layers(d),
                    s == null ? null : s.memoryBytes(), s == null ? null : s.capacityBytes(), busy));
            Double mineStep = eff.stepSeconds.get(d.deviceId());
            if (mineStep != null) {
                reported = true;
                step = step == null ? mineStep : Math.max(step, mineStep);
            }
            if (busy != null) {
                busiest = busiest == null ? busy : Math.max(busiest, busy);
            }
        }
        Double bubble = pipelined && reported && busiest != null ? Math.max(0.0, 1.0 - busiest) : null;
        return new Report.ReplicaLayout(first.replicaOrSelf(), first.batch(), first.microBatches(), step, bubble,
                stages);
    }

    /** The bubble of the pipelined replica with the longest measured step (the first of them on a tie). */
    private static Double bubble(List<Report.ReplicaLayout> replicas) {
        Report.ReplicaLayout slowest = null;
        for (Report.ReplicaLayout r : replicas) {
            if (r.bubbleFraction() == null) {
                continue;
            }
            if (slowest == null || r.stepSeconds() > slowest.stepSeconds()) {
                slowest = r;
            }
        }
        return slowest == null ? null : slowest.bubbleFraction();
    }

    private static Double predicted(Plan plan, boolean equalSplit) {
        Plan.Prediction p = plan.predicted();
        if (p == null) {
            return null;
        }
        return equalSplit ? p.equalSplitEta() : p.eta();
    }

    private static Report.Loss loss(List<StepMetric> metrics) {
        // per step: Σ batch·loss, Σ batch, Σ loss, count — over the devices that report a finite loss (a pipeline's
        // stages other than the last report NaN: only the last one computes the loss)
        Map<Integer, double[]> perStep = new TreeMap<>();
        for (StepMetric m : metrics) {
            if (!Double.isFinite(m.loss())) {
                continue;
            }
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

    /** Per group of devices holding one parameter range, summed over the plan versions. */
    private static final class GroupTally {
        final Set<String> devices = new LinkedHashSet<>();
        int checked;
        boolean agreed = true;
        String lastHash;
        int lastStep = Integer.MIN_VALUE;

        Report.ReplicaGroup figures(String range) {
            return new Report.ReplicaGroup(range, List.copyOf(devices), checked > 0 && agreed, checked, lastHash);
        }
    }

    private static Report.Replicas replicas(Plan plan, List<Plan> versions, List<StepMetric> metrics) {
        Map<Integer, Map<ReplicaCheck.Range, List<String>>> groupsOf = new HashMap<>();
        Map<ReplicaCheck.Range, GroupTally> tallies = new TreeMap<>();
        for (Plan p : versions.stream().sorted(Comparator.comparingInt(Plan::planVersion)).toList()) {
            Map<ReplicaCheck.Range, List<String>> groups = ReplicaCheck.groups(p);
            groupsOf.put(p.planVersion(), groups);
            groups.forEach((range, devices) -> tallies.computeIfAbsent(range, r -> new GroupTally()).devices
                    .addAll(devices));
        }
        // (plan version, step) → device → hash, in version then step order
        Map<Long, Map<String, String>> hashes = new TreeMap<>();
        for (StepMetric m : metrics) {
            if (m.weightsHash() != null && groupsOf.containsKey(m.planVersion())) {
                hashes.computeIfAbsent(((long) m.planVersion() << 32) | m.step(), k -> new HashMap<>())
                        .put(m.deviceId(), m.weightsHash());
            }
        }
        int checked = 0;
        for (Map.Entry<Long, Map<String, String>> e : hashes.entrySet()) {
            int version = (int) (e.getKey() >>> 32);
            int step = (int) (long) e.getKey();
            boolean any = false;
            for (Map.Entry<ReplicaCheck.Range, List<String>> g : groupsOf.get(version).entrySet()) {
                List<String> devices = g.getValue();
                if (!ReplicaCheck.compared(devices, e.getValue())) {
                    continue;
                }
                any = true;
                GroupTally t = tallies.get(g.getKey());
                t.checked++;
                boolean agree = ReplicaCheck.divergence(step, version, devices, e.getValue()).isEmpty();
                t.agreed &= agree;
                if (step >= t.lastStep) {
                    t.lastStep = step;
                    t.lastHash = agree ? devices.stream().map(e.getValue()::get).filter(h -> h != null)
                            .findFirst().orElse(null) : null;
                }
            }
            if (any) {
                checked++;
            }
        }
        int modelLayers = ReplicaCheck.modelLayers(plan);
        List<Report.ReplicaGroup> groups = new ArrayList<>();
        tallies.forEach((range, t) -> groups.add(t.figures(range.label(modelLayers))));
        boolean identical = checked > 0 && tallies.values().stream().allMatch(t -> t.agreed);
        GroupTally whole = tallies.get(ReplicaCheck.Range.WHOLE);
        return new Report.Replicas(identical, checked, whole == null ? null : whole.lastHash, groups);
    }
}
