package io.crosstrain.planner;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.Placement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Plans one job across datacenters (ARCHITECTURE.md §4–§5): gang placement, one exact balanced batch split over
 * every chosen device, synchronous data parallelism inside each datacenter and, across them, either synchronous DP
 * (the fp32 gradient over the WAN every step) or DiLoCo (pseudo-gradients every {@code H} steps).
 *
 * <p>The model of a step, all times in seconds:
 * <ul>
 *   <li>device speed {@code s_i}: the measured samples/s when given, else {@link CostModel#rooflineSamplesPerSec};
 *       cap {@code cap_i}: the given largest micro-batch, else {@link CostModel#memoryCap};</li>
 *   <li>compute of datacenter {@code d}: {@code C_d = max_{i∈d} b_i/s_i} with {@code b} the
 *       {@link BatchAllocator#balanced} split of {@code G} over all chosen devices, so every datacenter's group size
 *       {@code Σ_{i∈d} b_i} is its share and all groups finish their inner steps together;</li>
 *   <li>intra-datacenter sync: a ring all-reduce of the fp32 gradient over the datacenter's bandwidth,
 *       {@code I_d = 2(n_d−1)/n_d · 4P bytes / bandwidth} with {@code n_d} the devices that hold samples
 *       (bandwidth term only);</li>
 *   <li>inner step {@code max_d (C_d + I_d)};</li>
 *   <li>WAN exchange of {@code x} bytes: {@code max} over every pair of participating datacenters of
 *       {@code x / link bandwidth + link latency} (the slowest link decides); sync-DP sends {@code 4P} bytes every
 *       step, DiLoCo {@code P × codec bytes} every {@code H} steps; the step time adds the exchange divided by
 *       {@code H};</li>
 *   <li>{@code η} = achieved samples/s over the sum of the chosen devices' solo speeds.</li>
 * </ul>
 *
 * <p>Malformed requests (missing ids, duplicate devices, unknown datacenters or chips, out-of-range numbers) throw
 * {@link IllegalArgumentException}; a well-formed request that cannot be met gives {@code feasible=false} with a
 * reason. Cost: O(n log n) in the devices plus O(D²) in the datacenters.
 */
public final class ClusterPlanner {

    /**
     * Intra-datacenter all-reduce bandwidth when a datacenter does not give its own: 100 Gbit/s, one common
     * per-accelerator RDMA NIC (InfiniBand EDR/HDR100 or 100 GbE RoCE). NVLink inside a node is faster, so this is
     * the conservative figure for rings that span nodes.
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
     * @param samplesPerSec measured speed for this model, null = roofline prior of the chip
     * @param maxMicroBatch largest micro-batch, null = memory cap of the chip
     * @param memoryGb      device memory for placement, null = the chip's
     * @param labels        for placement; null = none
     */
    public record Device(String id, String datacenter, String nodeId, String chip, Double samplesPerSec,
                         Integer maxMicroBatch, Double memoryGb, Map<String, String> labels) {
        public Device(String id, String datacenter, String chip) {
            this(id, datacenter, null, chip, null, null, null, null);
        }
    }

    /**
     * @param strategy               {@code auto}, {@code sync-dp} or {@code diloco}; null = auto
     * @param h                      fixed DiLoCo inner steps per round, null = chosen by the target ratio
     * @param codecBytesPerParameter DiLoCo payload per parameter (4 fp32, 2 bf16, 1 int8, 0.5 4-bit); null = 4
     * @param targetCommRatio        WAN time over compute time to aim for; null = {@value #DEFAULT_TARGET_COMM_RATIO}
     * @param placement              null = no constraint
     */
    public record Job(ModelProfile model, int globalBatch, boolean allowGradientAccumulation, String strategy,
                      Integer h, Double codecBytesPerParameter, Double targetCommRatio, Placement placement) {
        public Job(ModelProfile model, int globalBatch, boolean allowGradientAccumulation, String strategy) {
            this(model, globalBatch, allowGradientAccumulation, strategy, null, null, null, null);
        }
    }

    /** {@code datacenters} null or empty = those the devices name; {@code links} null = none. */
    public record Request(List<Datacenter> datacenters, List<Link> links, List<Device> devices, Job job) {
    }

    /** One chosen device; {@code measured} tells whether its speed was given or is the roofline prior. */
    public record DevicePlan(String id, String datacenter, String nodeId, String chip, int batch, int microBatches,
                             double samplesPerSec, int maxMicroBatch, boolean measured) {
    }

    /**
     * @param devices          chosen devices in it
     * @param batch            its group size {@code Σ b_i}
     * @param samplesPerSec    Σ of its devices' solo speeds
     * @param computeSeconds   {@code max b_i/s_i} over its devices
     * @param intraSyncSeconds its ring all-reduce per step
     */
    public record DatacenterPlan(String id, int devices, int batch, double samplesPerSec, double computeSeconds,
                                 double intraSyncSeconds) {
    }

    /**
     * @param h                  inner steps per WAN exchange (1 for sync-DP)
     * @param stepSeconds        inner step plus the WAN exchange divided by h
     * @param computeSeconds     {@code max_i b_i/s_i} over all chosen devices
     * @param wanSecondsPerRound one WAN exchange (0 with one datacenter or when no links were given)
     * @param wanBytesPerRound   bytes each datacenter sends per exchange
     * @param wanBytesPerStep    the same amortised over h
     * @param syncDpWanSeconds   what one sync-DP exchange (fp32 gradient) would take: auto compares it
     * @param samplesPerSec      G / stepSeconds
     * @param equalSplitEta      η of the equal split of the same devices with the same strategy and h; 0 when the
     *                           equal split cannot run
     */
    public record Prediction(String strategy, int h, double stepSeconds, double computeSeconds,
                             double intraSyncSeconds, double wanSecondsPerRound, double wanBytesPerRound,
                             double wanBytesPerStep, double syncDpWanSeconds, double samplesPerSec, double eta,
                             double equalSplitEta) {
    }

    /**
     * @param devices     chosen devices ordered by (datacenter, id); empty when infeasible
     * @param datacenters per datacenter with chosen devices, ordered by id; empty when infeasible
     * @param predicted   null when infeasible
     * @param assumptions what the figures rest on, in words
     */
    public record Result(boolean feasible, String reason, List<DevicePlan> devices, List<DatacenterPlan> datacenters,
                         Prediction predicted, List<String> assumptions) {
    }

    private final ChipCatalogue catalogue;
    private final double defaultIntraGbps;

    public ClusterPlanner(ChipCatalogue catalogue) {
        this(catalogue, DEFAULT_INTRA_DC_GBPS);
    }

    /** @param defaultIntraGbps all-reduce bandwidth inside a datacenter that gives none, Gbit/s */
    public ClusterPlanner(ChipCatalogue catalogue, double defaultIntraGbps) {
        this.catalogue = Objects.requireNonNull(catalogue, "catalogue");
        if (!(defaultIntraGbps > 0) || Double.isInfinite(defaultIntraGbps)) {
            throw new IllegalArgumentException("defaultIntraGbps must be positive and finite, got "
                    + defaultIntraGbps);
        }
        this.defaultIntraGbps = defaultIntraGbps;
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

    public Result plan(Request request) {
        Objects.requireNonNull(request, "request");
        Job job = Objects.requireNonNull(request.job(), "job");
        ModelProfile model = Objects.requireNonNull(job.model(), "job.model");
        checkJob(job);
        Map<String, Double> intraGbps = datacenters(request);
        Map<String, Link> links = links(request.links(), intraGbps.keySet());
        List<Device> all = devices(request.devices(), intraGbps.keySet());
        List<String> assumptions = new ArrayList<>();

        // placement: each excluded device counts against the first constraint it fails
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
                int cap = cap(d, model, capByChip);
                if (cap == 0) {
                    noRoom++;
                } else {
                    candidates.add(new Candidate(d, speed(d, model, rooflineByChip), cap));
                }
            }
        }
        List<String> excluded = new ArrayList<>();
        exclusion(excluded, byDc, "by datacenters " + placement.datacenters());
        exclusion(excluded, byChip, "by chips " + placement.chips());
        exclusion(excluded, byLabel, "by labels " + new TreeMap<>(labels));
        exclusion(excluded, byMemory, "by minMemoryGb " + (minMemory == null ? "" : number(minMemory)));
        exclusion(excluded, noRoom, "because the model leaves no room for a sample in their memory");
        String exclusions = excluded.isEmpty() ? "" : ": " + String.join(", ", excluded);
        if (candidates.size() < minDevices) {
            return infeasible("needs at least " + minDevices + (minDevices == 1 ? " device, " : " devices, ")
                    + candidates.size() + " of " + all.size() + " remain" + exclusions);
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

        int n = candidates.size();
        double[] speeds = new double[n];
        int[] caps = new int[n];
        int measured = 0;
        double speedSum = 0;
        for (int i = 0; i < n; i++) {
            speeds[i] = candidates.get(i).speed();
            caps[i] = candidates.get(i).cap();
            speedSum += speeds[i];
            if (candidates.get(i).device().samplesPerSec() != null) {
                measured++;
            }
        }
        int g = job.globalBatch();
        Allocation balanced = BatchAllocator.balanced(speeds, caps, g, job.allowGradientAccumulation());
        if (!balanced.feasible()) {
            return infeasible(candidates.size() < all.size()
                    ? "after placement chose " + n + " of " + all.size() + " devices, " + balanced.reason()
                    : balanced.reason());
        }

        // datacenter index of every chosen device (they are sorted by datacenter)
        List<String> dcIds = new ArrayList<>();
        int[] dcOf = new int[n];
        for (int i = 0; i < n; i++) {
            String dc = candidates.get(i).device().datacenter();
            if (dcIds.isEmpty() || !dcIds.get(dcIds.size() - 1).equals(dc)) {
                dcIds.add(dc);
            }
            dcOf[i] = dcIds.size() - 1;
        }
        double gradientBytes = FP32_BYTES * model.parameters();
        Step step = new Step(dcIds, dcOf, speeds, intraGbps, gradientBytes, links);
        Split split = step.of(balanced.batch());
        if (split.missingPair() != null) {
            return infeasible("no WAN link between " + split.missingPair() + "; the datacenters that hold samples "
                    + split.participants() + " need a link between every pair");
        }

        double ratio = job.targetCommRatio() == null ? DEFAULT_TARGET_COMM_RATIO : job.targetCommRatio();
        double codec = job.codecBytesPerParameter() == null ? FP32_BYTES : job.codecBytesPerParameter();
        double compute = balanced.stepTime();
        boolean wanUsed = split.participants().size() > 1;
        double syncWan = wanUsed ? split.wanSeconds(gradientBytes) : 0.0;
        String strategy = strategy(job.strategy());
        if (strategy.equals(JobSpec.AUTO)) {
            strategy = !wanUsed || withinRatio(syncWan, 1, ratio, compute) ? JobSpec.SYNC_DP : JobSpec.DILOCO;
        }
        int h = 1;
        double roundBytes = 0;
        double wanRound = 0;
        if (strategy.equals(JobSpec.SYNC_DP)) {
            roundBytes = wanUsed ? gradientBytes : 0;
            wanRound = syncWan;
        } else {
            roundBytes = wanUsed ? codec * model.parameters() : 0;
            wanRound = wanUsed ? split.wanSeconds(roundBytes) : 0.0;
            h = job.h() != null ? job.h() : chooseH(wanRound, ratio, compute);
            if (job.h() == null && !withinRatio(wanRound, h, ratio, compute)) {
                assumptions.add("H is capped at " + MAX_H + ": the WAN still takes "
                        + percent(wanRound / (h * compute)) + " of compute time, above the target "
                        + percent(ratio));
            }
        }
        double stepSeconds = split.innerSeconds() + wanRound / h;

        Allocation equal = BatchAllocator.equalSplit(speeds, caps, g, job.allowGradientAccumulation());
        double equalEta = 0;
        if (!equal.feasible()) {
            assumptions.add("the equal split cannot run: " + equalSplitProblem(candidates, g));
        } else {
            Split eq = step.of(equal.batch());
            if (eq.missingPair() != null) {
                assumptions.add("the equal split cannot run: no WAN link between " + eq.missingPair());
            } else {
                double eqWan = eq.participants().size() <= 1 ? 0.0 : strategy.equals(JobSpec.SYNC_DP)
                        ? eq.wanSeconds(gradientBytes) : eq.wanSeconds(codec * model.parameters());
                equalEta = (g / (eq.innerSeconds() + eqWan / h)) / speedSum;
            }
        }

        assumptions.add("speeds: " + measured + " measured, " + (n - measured) + " from the roofline prior "
                + "(utilisation " + CostModel.REFERENCE_UTILISATION + ")");
        assumptions.add("intra-datacenter sync: ring all-reduce of the fp32 gradient (" + bytes(gradientBytes)
                + ") at " + number(defaultIntraGbps) + " Gbit/s unless the datacenter gives its own, bandwidth only");
        if (!wanUsed) {
            assumptions.add("one datacenter holds samples: no WAN exchange");
        } else if (links.isEmpty()) {
            assumptions.add("no WAN links were given: WAN time assumed 0");
        } else {
            Link slow = split.slowest(roundBytes);
            assumptions.add("WAN: every exchange waits for the slowest link, " + slow.from() + "–" + slow.to()
                    + " at " + number(slow.gbps()) + " Gbit/s and " + number(slow.latencyMs()) + " ms");
        }
        if (strategy.equals(JobSpec.DILOCO)) {
            assumptions.add("DiLoCo exchanges " + number(codec) + " bytes per parameter every " + h
                    + " inner steps; wanBytesPerStep is what each datacenter sends, amortised over H");
        } else {
            assumptions.add("sync-DP exchanges the fp32 gradient every step; wanBytesPerStep is what each "
                    + "datacenter sends");
        }

        int[] batch = balanced.batch();
        int[] micro = balanced.microBatches();
        List<DevicePlan> devices = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Device d = candidates.get(i).device();
            devices.add(new DevicePlan(d.id(), d.datacenter(), d.nodeId(), d.chip(), batch[i], micro[i], speeds[i],
                    caps[i], d.samplesPerSec() != null));
        }
        Prediction prediction = new Prediction(strategy, h, stepSeconds, compute, split.maxIntraSync(), wanRound,
                roundBytes, roundBytes / h, syncWan, g / stepSeconds, (g / stepSeconds) / speedSum, equalEta);
        return new Result(true, null, List.copyOf(devices), split.datacenters(), prediction,
                List.copyOf(assumptions));
    }

    private record Candidate(Device device, double speed, int cap) {
    }

    /** Per-datacenter figures of one batch split. */
    private record Split(List<DatacenterPlan> datacenters, List<String> participants, double innerSeconds,
                         double maxIntraSync, String missingPair, List<Link> pairLinks) {

        /** The slowest participating pair decides: bytes over its bandwidth plus its latency. */
        double wanSeconds(double bytes) {
            double worst = 0;
            for (Link l : pairLinks) {
                worst = Math.max(worst, transfer(l, bytes));
            }
            return worst;
        }

        Link slowest(double bytes) {
            return pairLinks.stream().max(Comparator.comparingDouble(l -> transfer(l, bytes))).orElseThrow();
        }

        static double transfer(Link l, double bytes) {
            return bytes * 8 / (l.gbps() * 1e9) + l.latencyMs() / 1000.0;
        }
    }

    /** The step model for a fixed set of chosen devices, evaluated for any split of the batch. */
    private record Step(List<String> dcIds, int[] dcOf, double[] speeds, Map<String, Double> intraGbps,
                        double gradientBytes, Map<String, Link> links) {

        Split of(int[] batch) {
            int dcs = dcIds.size();
            int[] count = new int[dcs];
            int[] active = new int[dcs];
            int[] groupBatch = new int[dcs];
            double[] speedSum = new double[dcs];
            double[] compute = new double[dcs];
            for (int i = 0; i < batch.length; i++) {
                int d = dcOf[i];
                count[d]++;
                speedSum[d] += speeds[i];
                if (batch[i] > 0) {
                    active[d]++;
                    groupBatch[d] += batch[i];
                    compute[d] = Math.max(compute[d], batch[i] / speeds[i]);
                }
            }
            List<DatacenterPlan> plans = new ArrayList<>(dcs);
            List<String> participants = new ArrayList<>();
            double inner = 0;
            double maxSync = 0;
            for (int d = 0; d < dcs; d++) {
                double sync = active[d] <= 1 ? 0.0
                        : 2.0 * (active[d] - 1) / active[d] * gradientBytes * 8 / (intraGbps.get(dcIds.get(d)) * 1e9);
                plans.add(new DatacenterPlan(dcIds.get(d), count[d], groupBatch[d], speedSum[d], compute[d], sync));
                if (groupBatch[d] > 0) {
                    participants.add(dcIds.get(d));
                    inner = Math.max(inner, compute[d] + sync);
                    maxSync = Math.max(maxSync, sync);
                }
            }
            List<Link> pairLinks = new ArrayList<>();
            String missing = null;
            if (!links.isEmpty()) {
                for (int a = 0; a < participants.size() && missing == null; a++) {
                    for (int b = a + 1; b < participants.size(); b++) {
                        Link l = links.get(pair(participants.get(a), participants.get(b)));
                        if (l == null) {
                            missing = participants.get(a) + " and " + participants.get(b);
                            break;
                        }
                        pairLinks.add(l);
                    }
                }
            }
            return new Split(List.copyOf(plans), List.copyOf(participants), inner, maxSync, missing, pairLinks);
        }
    }

    /** "4 excluded by datacenters [bj]" for the first, "3 by chips [H20]" for the ones after it. */
    private static void exclusion(List<String> out, int count, String why) {
        if (count > 0) {
            out.add(count + (out.isEmpty() ? " excluded " : " ") + why);
        }
    }

    /** BatchAllocator names devices by index; say which device by id. */
    private static String equalSplitProblem(List<Candidate> chosen, int g) {
        int n = chosen.size();
        for (int i = 0; i < n; i++) {
            int share = g / n + (i < g % n ? 1 : 0);
            if (share > chosen.get(i).cap()) {
                return "it gives device " + chosen.get(i).device().id() + " " + share
                        + " samples but its memory cap is " + chosen.get(i).cap() + "; allow gradient accumulation";
            }
        }
        return "no equal split fits";
    }

    private static Result infeasible(String reason) {
        return new Result(false, reason, List.of(), List.of(), null, List.of());
    }

    private static void checkJob(Job job) {
        if (job.globalBatch() <= 0) {
            throw new IllegalArgumentException("globalBatch must be positive, got " + job.globalBatch());
        }
        strategy(job.strategy());
        if (job.h() != null && job.h() < 1) {
            throw new IllegalArgumentException("h must be at least 1, got " + job.h());
        }
        Double codec = job.codecBytesPerParameter();
        if (codec != null && !(codec > 0 && codec <= FP32_BYTES)) {
            throw new IllegalArgumentException("codecBytesPerParameter must be in (0, 4], got " + codec);
        }
        Double ratio = job.targetCommRatio();
        if (ratio != null && (!(ratio > 0) || ratio.isInfinite())) {
            throw new IllegalArgumentException("targetCommRatio must be positive and finite, got " + ratio);
        }
    }

    private static String strategy(String s) {
        if (s == null || s.equals(JobSpec.AUTO)) {
            return JobSpec.AUTO;
        }
        if (s.equals(JobSpec.SYNC_DP) || s.equals(JobSpec.DILOCO)) {
            return s;
        }
        throw new IllegalArgumentException("strategy must be auto, sync-dp or diloco, got '" + s + "'");
    }

    /** Datacenter id → intra bandwidth in Gbit/s. */
    private Map<String, Double> datacenters(Request r) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (r.datacenters() == null || r.datacenters().isEmpty()) {
            for (Device d : Objects.requireNonNull(r.devices(), "devices")) {
                if (d != null && d.datacenter() != null && !d.datacenter().isBlank()) {
                    out.put(d.datacenter(), defaultIntraGbps);
                }
            }
            return out;
        }
        for (Datacenter dc : r.datacenters()) {
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

    private static Map<String, Link> links(List<Link> links, Set<String> known) {
        Map<String, Link> out = new HashMap<>();
        if (links == null) {
            return out;
        }
        for (Link l : links) {
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

    private static List<Device> devices(List<Device> devices, Set<String> known) {
        Objects.requireNonNull(devices, "devices");
        Set<String> ids = new HashSet<>();
        for (Device d : devices) {
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
        }
        return devices;
    }

    private double speed(Device d, ModelProfile model, Map<String, Double> byChip) {
        if (d.samplesPerSec() != null) {
            return d.samplesPerSec();
        }
        ChipSpec chip = chip(d);
        return byChip.computeIfAbsent(key(chip.name()), k -> CostModel.rooflineSamplesPerSec(chip, model));
    }

    private int cap(Device d, ModelProfile model, Map<String, Integer> byChip) {
        if (d.maxMicroBatch() != null) {
            return d.maxMicroBatch();
        }
        ChipSpec chip = chip(d);
        return byChip.computeIfAbsent(key(chip.name()), k -> CostModel.memoryCap(chip, model));
    }

    private double memoryGb(Device d) {
        return d.memoryGb() != null ? d.memoryGb() : chip(d).memoryGb();
    }

    private ChipSpec chip(Device d) {
        try {
            return catalogue.get(d.chip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("device " + d.id() + ": " + e.getMessage(), e);
        }
    }

    private static String pair(String a, String b) {
        return a.compareTo(b) < 0 ? a + "\u0000" + b : b + "\u0000" + a;
    }

    private static String key(String chip) {
        return chip.trim().toLowerCase(Locale.ROOT);
    }

    private static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }

    private static String percent(double v) {
        return String.format(Locale.ROOT, "%.1f %%", 100 * v);
    }

    private static String bytes(double b) {
        String[] units = {"B", "KB", "MB", "GB", "TB"};
        int u = 0;
        while (b >= 1000 && u < units.length - 1) {
            b /= 1000;
            u++;
        }
        return String.format(Locale.ROOT, "%.3g %s", b, units[u]);
    }
}
