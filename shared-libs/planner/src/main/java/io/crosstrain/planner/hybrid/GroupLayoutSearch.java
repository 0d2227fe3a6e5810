package io.crosstrain.planner.hybrid;

import io.crosstrain.planner.Allocation;
import io.crosstrain.planner.BatchAllocator;
import io.crosstrain.planner.LayerModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Lays out one group of devices (a datacenter) for a model: the pipeline degree {@code P}, which devices form each of
 * the {@code ⌊n/P⌋} replicas, the order of their stages, the block split ({@link ReplicaCost}) and the micro-batch
 * size; the group's batch is then split over its replicas by the exact allocation with each replica's samples/s as
 * its speed (iterated twice, since a replica's speed depends on its batch through the pipeline bubble).
 *
 * <p>The search: every {@code P} from 1 up, skipping those whose no-imbalance bound
 * {@code Σ_r P·max_i s_i · M/(M+P−1)} cannot beat the best group found; micro-batch sizes in powers of two; for
 * devices of one kind a single way to form replicas; for mixed kinds every way when the group is small
 * ({@link Options#exhaustiveDevices}), else grouping like devices together and interleaving them; every distinct
 * order of a replica's kinds of device (up to {@link Options#maxOrders}). Devices of one kind are interchangeable, so
 * what is evaluated once is reused ({@code O(kinds)} work, not {@code O(devices)}).
 */
public final class GroupLayoutSearch {

    /**
     * @param maxMicroBatch     the largest micro-batch tried
     * @param exhaustiveDevices groups of at most this many devices try every way of forming replicas
     * @param maxOrders         orders of a replica's stages tried at most (every distinct one below it)
     * @param maxStages         largest {@code P} tried (0 = up to the devices or blocks)
     * @param accumulateWholeReplicas whether a whole replica (P = 1) may run its batch as several micro-batches;
     *                          without, its batch must fit at once
     */
    public record Options(int maxMicroBatch, int exhaustiveDevices, int maxOrders, int maxStages,
                          boolean accumulateWholeReplicas) {

        public Options(int maxMicroBatch, int exhaustiveDevices, int maxOrders, int maxStages) {
            this(maxMicroBatch, exhaustiveDevices, maxOrders, maxStages, true);
        }

        public static Options defaults() {
            return new Options(64, 8, 720, 0, true);
        }

        /** The same options for a job that may (or may not) run a whole replica's batch in several micro-batches. */
        public Options withAccumulation(boolean accumulate) {
            return new Options(maxMicroBatch, exhaustiveDevices, maxOrders, maxStages, accumulate);
        }
    }

    /**
     * A group's layout.
     *
     * @param stages         {@code P}
     * @param maxMicroBatch  micro-batches hold at most this many samples
     * @param replicas       with their batches (which sum to the group's)
     * @param idle           devices left out (they do not divide into replicas of {@code P})
     * @param seconds        the group's step: its slowest replica
     * @param bubbleFraction of the slowest replica
     */
    public record Layout(boolean feasible, String reason, int stages, int maxMicroBatch,
                         List<ReplicaCost.Replica> replicas, List<StageChip> idle, int batch, double seconds,
                         double bubbleFraction) {

        static Layout infeasible(String reason) {
            return new Layout(false, reason, 0, 0, List.of(), List.of(), 0, Double.POSITIVE_INFINITY, 0);
        }

        public double samplesPerSec() {
            return seconds > 0 ? batch / seconds : 0;
        }
    }

    private final LayerModel model;
    private final double intraGbps;
    private final Options options;
    private final Map<String, ReplicaCost.Replica> cache = new HashMap<>();

    public GroupLayoutSearch(LayerModel model, double intraGbps, Options options) {
        this.model = Objects.requireNonNull(model, "model");
        if (!(intraGbps > 0) || Double.isInfinite(intraGbps)) {
            throw new IllegalArgumentException("intraGbps must be positive and finite, got " + intraGbps);
        }
        this.intraGbps = intraGbps;
        this.options = Objects.requireNonNull(options, "options");
    }

    /** The fastest layout of {@code devices} for {@code batch} samples per step. */
    public Layout best(List<StageChip> devices, int batch) {
        return search(devices, batch, 1, maxStages(devices));
    }

    /** The fastest layout with exactly {@code stages} stages per replica (1 = data parallel only). */
    public Layout withStages(List<StageChip> devices, int batch, int stages) {
        return search(devices, batch, stages, stages);
    }

    /**
     * {@code layout}'s replicas and stage orders with the blocks split as evenly as possible (the first
     * {@code L mod P} stages one more), at the micro-batch size that suits that split best.
     */
    public Layout equalLayers(Layout layout, int batch) {
        if (!layout.feasible()) {
            return layout;
        }
        int p = layout.stages();
        int[] counts = new int[p];
        for (int i = 0; i < p; i++) {
            counts[i] = model.layers() / p + (i < model.layers() % p ? 1 : 0);
        }
        List<List<StageChip>> orders = layout.replicas().stream().map(ReplicaCost.Replica::devices).toList();
        Layout best = null;
        String why = null;
        List<int[]> each = java.util.Collections.nCopies(orders.size(), counts);
        for (int m : microBatchSizes(batch, orders.size())) {
            Layout l = allocate(orders, m, batch, each, layout.idle());
            if (l.feasible() && (best == null || l.samplesPerSec() > best.samplesPerSec())) {
                best = l;
            } else if (!l.feasible()) {
                why = l.reason();
            }
        }
        return best != null ? best : Layout.infeasible("with " + p + " equal stages: " + why);
    }

    /**
     * A layout kept as it was (a re-plan that must not move blocks between devices): the given replicas in their
     * stage order with their block counts, at micro-batches of at most {@code maxMicroBatch}, the batch split anew.
     */
    public Layout fixed(List<List<StageChip>> orders, List<int[]> counts, int maxMicroBatch, int batch) {
        if (orders.isEmpty()) {
            return Layout.infeasible("no replica is left whole");
        }
        return allocate(orders, maxMicroBatch, batch, counts, List.of());
    }

    private int maxStages(List<StageChip> devices) {
        int cap = Math.min(devices.size(), model.layers());
        return options.maxStages() > 0 ? Math.min(cap, options.maxStages()) : cap;
    }

    private Layout search(List<StageChip> devices, int batch, int fromStages, int toStages) {
        if (devices.isEmpty()) {
            return Layout.infeasible("no devices");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be positive, got " + batch);
        }
        Layout best = null;
        String lastReason = null;
        double bestSpeed = 0;
        // fewer stages than the weights alone need, even on the roomiest devices, cannot fit
        double state = io.crosstrain.planner.ModelProfile.BYTES_PER_PARAMETER * model.parameters();
        double roomiest = devices.stream().mapToDouble(StageChip::capacityBytes).max().orElse(0);
        int least = (int) Math.max(fromStages, Math.min(Math.ceil(state / roomiest), Integer.MAX_VALUE));
        int most = Math.min(toStages, Math.min(devices.size(), model.layers()));
        if (fromStages > most) {
            return Layout.infeasible(fromStages + " stages per replica need " + fromStages + " devices and "
                    + fromStages + " blocks; the group has " + devices.size() + " devices and the model "
                    + model.layers() + " blocks");
        }
        if (least > most) {
            least = most; // the reason comes from the largest layout tried
        }
        for (int p = least; p <= most; p++) {
            int replicas = devices.size() / p;
            if (best != null && bound(devices, p, replicas, batch) <= bestSpeed) {
                continue;
            }
            // a whole replica without gradient accumulation runs its whole batch at once
            List<Integer> sizes = p == 1 && !options.accumulateWholeReplicas()
                    ? List.of(Math.max(1, (batch + replicas - 1) / replicas)) : microBatchSizes(batch, replicas);
            for (Grouping g : groupings(devices, p)) {
                for (int m : sizes) {
                    Layout l = layout(g, m, batch);
                    if (!l.feasible()) {
                        // larger micro-batches keep more in flight: they cannot fit either
                        if (m == 1 || lastReason == null) {
                            lastReason = l.reason();
                        }
                        break;
                    }
                    // strictly faster wins, so among equals the fewest stages and the smallest micro-batch stay
                    if (l.samplesPerSec() > bestSpeed * (1 + 1e-12)) {
                        best = l;
                        bestSpeed = l.samplesPerSec();
                    }
                }
            }
        }
        if (best == null) {
            return Layout.infeasible(lastReason != null ? lastReason : "no layout with " + fromStages + ".."
                    + toStages + " stages");
        }
        return best;
    }

    /** Throughput no layout with {@code p} stages can exceed: perfect balance, the least bubble (micro-batches of 1). */
    private double bound(List<StageChip> devices, int p, int replicas, int batch) {
        double fastest = devices.stream().mapToDouble(d -> d.wholeModelSamplesPerSec(model)).max().orElse(0);
        int m = Math.max(1, (batch + replicas - 1) / replicas);
        return replicas * p * fastest * m / (double) (m + p - 1);
    }

    private List<Integer> microBatchSizes(int batch, int replicas) {
        int perReplica = Math.max(1, (batch + replicas - 1) / replicas);
        List<Integer> sizes = new ArrayList<>();
        for (int m = 1; m <= Math.min(perReplica, options.maxMicroBatch()); m *= 2) {
            sizes.add(m);
        }
        if (perReplica <= options.maxMicroBatch() && !sizes.contains(perReplica)) {
            sizes.add(perReplica);
        }
        return sizes;
    }

    /** Replicas as kinds of device (unordered), and the devices left idle. */
    private record Grouping(List<List<StageChip>> replicas, List<StageChip> idle) {
    }

    private List<Grouping> groupings(List<StageChip> devices, int p) {
        Map<String, List<StageChip>> kinds = kinds(devices);
        int replicas = devices.size() / p;
        List<Grouping> out = new ArrayList<>();
        if (kinds.size() == 1) {
            List<StageChip> all = new ArrayList<>(devices);
            all.sort(Comparator.comparing(StageChip::id));
            out.add(chunked(all, p, replicas));
            return out;
        }
        if (devices.size() <= options.exhaustiveDevices()) {
            List<String> names = new ArrayList<>(kinds.keySet());
            int[] available = names.stream().mapToInt(k -> kinds.get(k).size()).toArray();
            enumerate(names, kinds, available, p, replicas, new ArrayList<>(), 0, out);
            return out;
        }
        // alike together (fastest first), and interleaved
        List<StageChip> bySpeed = new ArrayList<>(devices);
        bySpeed.sort(Comparator.comparingDouble((StageChip d) -> -d.wholeModelSamplesPerSec(model))
                .thenComparing(StageChip::id));
        out.add(chunked(bySpeed, p, replicas));
        List<StageChip> interleaved = new ArrayList<>();
        List<List<StageChip>> queues = new ArrayList<>();
        kinds.values().forEach(q -> queues.add(new ArrayList<>(q)));
        while (interleaved.size() < devices.size()) {
            for (List<StageChip> q : queues) {
                if (!q.isEmpty()) {
                    interleaved.add(q.remove(0));
                }
            }
        }
        out.add(chunked(interleaved, p, replicas));
        return out;
    }

    private static Grouping chunked(List<StageChip> devices, int p, int replicas) {
        List<List<StageChip>> r = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            r.add(List.copyOf(devices.subList(i * p, (i + 1) * p)));
        }
        return new Grouping(r, List.copyOf(devices.subList(replicas * p, devices.size())));
    }

    /** Every multiset of {@code replicas} count vectors of size {@code p}, in non-increasing order. */
    private static void enumerate(List<String> names, Map<String, List<StageChip>> kinds, int[] available, int p,
                                  int replicas, List<int[]> chosen, int startVector, List<Grouping> out) {
        if (chosen.size() == replicas) {
            int[] used = new int[names.size()];
            List<List<StageChip>> r = new ArrayList<>();
            for (int[] v : chosen) {
                List<StageChip> rep = new ArrayList<>();
                for (int k = 0; k < v.length; k++) {
                    for (int j = 0; j < v[k]; j++) {
                        rep.add(kinds.get(names.get(k)).get(used[k]++));
                    }
                }
                r.add(rep);
            }
            List<StageChip> idle = new ArrayList<>();
            for (int k = 0; k < names.size(); k++) {
                idle.addAll(kinds.get(names.get(k)).subList(used[k], kinds.get(names.get(k)).size()));
            }
            out.add(new Grouping(r, idle));
            return;
        }
        List<int[]> vectors = vectors(names.size(), p);
        for (int v = startVector; v < vectors.size(); v++) {
            int[] vec = vectors.get(v);
            boolean fits = true;
            for (int k = 0; k < vec.length; k++) {
                fits &= vec[k] <= available[k];
            }
            if (!fits) {
                continue;
            }
            for (int k = 0; k < vec.length; k++) {
                available[k] -= vec[k];
            }
            chosen.add(vec);
            enumerate(names, kinds, available, p, replicas, chosen, v, out);
            chosen.remove(chosen.size() - 1);
            for (int k = 0; k < vec.length; k++) {
                available[k] += vec[k];
            }
        }
    }

    /** Count vectors over {@code kinds} kinds summing to {@code p}. */
    private static List<int[]> vectors(int kinds, int p) {
        List<int[]> out = new ArrayList<>();
        fill(new int[kinds], 0, p, out);
        return out;
    }

    private static void fill(int[] v, int k, int left, List<int[]> out) {
        if (k == v.length - 1) {
            v[k] = left;
            out.add(v.clone());
            return;
        }
        for (int x = left; x >= 0; x--) {
            v[k] = x;
            fill(v, k + 1, left - x, out);
        }
    }

    /** Devices that behave alike: same chip figures, memory scale and measured slowdown. */
    private static Map<String, List<StageChip>> kinds(List<StageChip> devices) {
        Map<String, List<StageChip>> out = new LinkedHashMap<>();
        devices.stream().sorted(Comparator.comparing(StageChip::id))
                .forEach(d -> out.computeIfAbsent(kindOf(d), k -> new ArrayList<>()).add(d));
        return out;
    }

    private static String kindOf(StageChip d) {
        return d.chip().name() + "|" + d.chip().tflops() + "|" + d.chip().memoryGb() + "|"
                + d.chip().memBandwidthTBps() + "|" + d.memoryScale() + "|" + d.slowdown();
    }

    /** The grouping at micro-batch size {@code m}: each replica in its best order, the batch split over them. */
    private Layout layout(Grouping g, int m, int batch) {
        int estimate = Math.max(1, (batch + g.replicas().size() - 1) / g.replicas().size());
        for (List<StageChip> r : g.replicas()) {
            if (bestOrder(r, m, estimate) == null) {
                return Layout.infeasible(replica(r, m, estimate, null).reason());
            }
        }
        // each replica's stage order is chosen again at the share the split gives it
        return allocate(g.replicas(), true, m, batch, null, g.idle());
    }

    private List<StageChip> bestOrder(List<StageChip> devices, int m, int batch) {
        List<StageChip> best = null;
        double bestSeconds = Double.POSITIVE_INFINITY;
        for (List<StageChip> order : orders(devices)) {
            ReplicaCost.Replica r = replica(order, m, batch, null);
            if (r.feasible() && r.seconds() < bestSeconds * (1 - 1e-12)) {
                best = order;
                bestSeconds = r.seconds();
            }
        }
        return best;
    }

    /**
     * Distinct orders of the devices' kinds (devices of one kind are interchangeable): every one when there are at
     * most {@link Options#maxOrders}, else heuristic orders (roomiest first, fastest first, and the reverse of each)
     * followed by as many others as the cap allows.
     */
    private List<List<StageChip>> orders(List<StageChip> devices) {
        List<StageChip> sorted = new ArrayList<>(devices);
        sorted.sort(Comparator.comparing(GroupLayoutSearch::kindOf).thenComparing(StageChip::id));
        List<List<StageChip>> out = new ArrayList<>();
        if (distinctOrders(sorted) > options.maxOrders()) {
            java.util.LinkedHashSet<List<StageChip>> heuristic = new java.util.LinkedHashSet<>();
            Comparator<StageChip> roomy = Comparator.comparingDouble(StageChip::capacityBytes).reversed()
                    .thenComparing(StageChip::id);
            Comparator<StageChip> fast = Comparator.comparingDouble((StageChip d) -> -d.wholeModelSamplesPerSec(model))
                    .thenComparing(StageChip::id);
            for (Comparator<StageChip> c : List.of(roomy, fast, roomy.reversed(), fast.reversed())) {
                heuristic.add(sorted.stream().sorted(c).toList());
            }
            out.addAll(heuristic);
        }
        permute(sorted, 0, out);
        return out;
    }

    /** {@code P! / Π count_k!}, the distinct orders of a multiset of kinds, saturating. */
    private static long distinctOrders(List<StageChip> devices) {
        Map<String, Integer> counts = new HashMap<>();
        devices.forEach(d -> counts.merge(kindOf(d), 1, Integer::sum));
        double orders = 1;
        int n = 0;
        for (int c : counts.values()) {
            for (int i = 1; i <= c; i++) {
                orders = orders * (++n) / i;
            }
        }
        return orders > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : Math.round(orders);
    }

    private void permute(List<StageChip> a, int k, List<List<StageChip>> out) {
        if (out.size() >= options.maxOrders()) {
            return;
        }
        if (k == a.size()) {
            List<StageChip> order = List.copyOf(a);
            if (!out.contains(order)) {
                out.add(order);
            }
            return;
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = k; i < a.size(); i++) {
            if (!seen.add(kindOf(a.get(i)))) {
                continue;
            }
            java.util.Collections.swap(a, k, i);
            permute(a, k + 1, out);
            java.util.Collections.swap(a, k, i);
        }
    }

    /**
     * Splits {@code batch} over the replicas by the exact allocation, each replica's speed taken at its own batch,
     * twice over (a replica's speed depends on its batch).
     */
    private Layout allocate(List<List<StageChip>> orders, int m, int batch, List<int[]> counts,
                            List<StageChip> idle) {
        return allocate(orders, false, m, batch, counts, idle);
    }

    /** @param reorder choose each replica's stage order anew at its share in every round ({@code orders} = sets) */
    private Layout allocate(List<List<StageChip>> given, boolean reorder, int m, int batch, List<int[]> counts,
                            List<StageChip> idle) {
        int n = given.size();
        List<List<StageChip>> orders = new ArrayList<>(given);
        int[] share = new int[n];
        Arrays.fill(share, Math.max(1, (batch + n - 1) / n));
        ReplicaCost.Replica[] replicas = new ReplicaCost.Replica[n];
        for (int round = 0; round < 3; round++) {
            double[] speeds = new double[n];
            for (int r = 0; r < n; r++) {
                if (reorder) {
                    List<StageChip> order = bestOrder(given.get(r), m, Math.max(1, share[r]));
                    if (order == null) {
                        return Layout.infeasible(replica(given.get(r), m, Math.max(1, share[r]), null).reason());
                    }
                    orders.set(r, order);
                }
                replicas[r] = replica(orders.get(r), m, Math.max(1, share[r]), counts == null ? null : counts.get(r));
                if (!replicas[r].feasible()) {
                    return Layout.infeasible(replicas[r].reason());
                }
                speeds[r] = replicas[r].samplesPerSec();
            }
            int[] caps = new int[n];
            Arrays.fill(caps, batch);
            Allocation a = BatchAllocator.balanced(speeds, caps, batch, true);
            share = a.batch();
        }
        List<ReplicaCost.Replica> out = new ArrayList<>(n);
        double seconds = 0;
        double bubble = 0;
        for (int r = 0; r < n; r++) {
            if (reorder) {
                List<StageChip> order = bestOrder(given.get(r), m, Math.max(1, share[r]));
                if (order != null) {
                    orders.set(r, order);
                }
            }
            ReplicaCost.Replica rep = replica(orders.get(r), m, share[r], counts == null ? null : counts.get(r));
            if (!rep.feasible()) {
                return Layout.infeasible(rep.reason());
            }
            out.add(rep);
            if (rep.seconds() > seconds) {
                seconds = rep.seconds();
                bubble = rep.bubbleFraction();
            }
        }
        return new Layout(true, null, orders.get(0).size(), m, List.copyOf(out), List.copyOf(idle), batch, seconds,
                bubble);
    }

    private ReplicaCost.Replica replica(List<StageChip> order, int m, int batch, int[] counts) {
        StringBuilder key = new StringBuilder();
        order.forEach(d -> key.append(kindOf(d)).append(';'));
        key.append(m).append('/').append(batch).append('/').append(Arrays.toString(counts));
        ReplicaCost.Replica cached = cache.get(key.toString());
        if (cached == null) {
            cached = ReplicaCost.evaluate(model, order, m, batch, intraGbps, counts);
            cache.put(key.toString(), cached);
        }
        // the cached replica may have been laid out on other devices of the same kinds: put these in
        if (!cached.feasible()) {
            return cached;
        }
        List<ReplicaCost.Stage> stages = new ArrayList<>(order.size());
        for (ReplicaCost.Stage s : cached.stages()) {
            stages.add(new ReplicaCost.Stage(s.index(), order.get(s.index()), s.firstLayer(), s.lastLayer(),
                    s.time(), s.memoryBytes()));
        }
        return new ReplicaCost.Replica(true, null, List.copyOf(stages), cached.batch(), cached.microBatchSize(),
                cached.microBatches(), cached.seconds(), cached.bubbleFraction());
    }
}
