package io.crosstrain.bench.hybrid;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.crosstrain.planner.Allocation;
import io.crosstrain.planner.BatchAllocator;
import io.crosstrain.planner.LayerModel;
import io.crosstrain.planner.hybrid.StageChip;
import io.crosstrain.planner.hybrid.StageTime;

/**
 * The layout of a small group of devices by exhaustive enumeration, written apart from the planner's search
 * ({@code GroupLayoutSearch}, {@code LayerPartition}, {@code ReplicaCost} are not used) so the two can be compared.
 *
 * <p>Enumerated: every pipeline degree {@code P} from 1 to {@code min(devices, blocks)}; every way of choosing which
 * devices form the {@code ⌊n/P⌋} replicas (set partitions into unordered groups of {@code P}, the rest idle; devices
 * are told apart by id, never by kind); every stage order of each replica ({@code P!}); every composition of the
 * blocks into {@code P} contiguous non-empty stages; every micro-batch size the planner's search tries (powers of
 * two up to the per-replica batch {@code ⌈G/R⌉}, and {@code ⌈G/R⌉} itself, none above {@code maxMicroBatch}).
 *
 * <p>The cost model is the planner's, restated here: a replica of batch {@code b} runs {@code M = ⌈b/m⌉}
 * micro-batches of {@code m_x = ⌈b/M⌉}; stage {@code i} on blocks {@code [a, z]} takes
 * {@code T_i = StageTime.of(device, model, a, z).seconds(m_x)} and needs {@code StageChip.memoryBytes(model, a, z, i,
 * P, M, m_x)} of its device's {@code capacityBytes()}; a step is {@code Σ_i (T_i + 2·C_i) + (M − 1)·max_i T_i} with
 * {@code C_i = m_x · boundaryBytes · 8 / intraBandwidth} for {@code i < P − 1}. A replica with no samples costs
 * nothing but must still fit one sample.
 *
 * <p>The group's batch is split over the replicas by the planner's rule: every replica starts at {@code ⌈G/R⌉};
 * three times over, each replica's speed is its best (order, composition) at its current share, and
 * {@link BatchAllocator#balanced} splits {@code G} by those speeds; the step is the slowest replica at the final
 * shares, each replica again in its best order and composition for its share. The group's throughput is
 * {@code G / step}.
 *
 * <p>Two variants, for diagnosis and baselines ({@link Variant}): blocks split evenly instead of every composition
 * (the first {@code L mod P} stages one more, as the planner's equal-layers baseline), and each replica's order
 * chosen once at the first share {@code ⌈G/R⌉} and kept while the split iterates (as the planner's search does).
 */
public final class BruteForceLayout {

    /** Rounds of the split, as the planner's search. */
    static final int SPLIT_ROUNDS = 3;

    /**
     * One replica as laid out.
     *
     * @param order          its devices in stage order
     * @param counts         blocks per stage
     * @param batch          its samples per step
     * @param microBatches   {@code M}
     * @param microBatchSize {@code m_x}
     * @param seconds        its step
     */
    public record Replica(List<StageChip> order, int[] counts, int batch, int microBatches, int microBatchSize,
                          double seconds) {

        static final Replica NONE = new Replica(List.of(), new int[0], 0, 0, 0, Double.POSITIVE_INFINITY);

        public boolean feasible() {
            return seconds < Double.POSITIVE_INFINITY;
        }

        @Override
        public String toString() {
            return order.stream().map(StageChip::id).toList() + " blocks " + Arrays.toString(counts) + " b=" + batch
                    + " M=" + microBatches + " m=" + microBatchSize + " " + seconds + " s";
        }
    }

    /**
     * The best layout found.
     *
     * @param stages         {@code P}
     * @param maxMicroBatch  the micro-batch size {@code m}
     * @param seconds        the slowest replica's step
     * @param priced         (order, composition, batch) candidates priced to find it
     */
    public record Result(boolean feasible, int stages, int maxMicroBatch, List<Replica> replicas,
                         List<StageChip> idle, int batch, double seconds, long priced) {

        public double samplesPerSec() {
            return feasible && seconds > 0 ? batch / seconds : 0;
        }
    }

    /**
     * What is enumerated.
     *
     * @param equalBlocks       only the even split of the blocks, not every composition
     * @param orderAtFirstShare each replica's order chosen at the first share and kept, not chosen again per share
     */
    public record Variant(boolean equalBlocks, boolean orderAtFirstShare) {
        public static final Variant EXHAUSTIVE = new Variant(false, false);
    }

    private final LayerModel model;
    private final double intraGbps;
    private final int maxMicroBatch;
    private final Variant variant;
    private final Map<String, Replica> memo = new HashMap<>();
    private long priced;

    /**
     * @param intraGbps     bandwidth between a replica's devices, Gbit/s
     * @param maxMicroBatch the largest micro-batch tried (the search's {@code Options.maxMicroBatch})
     */
    public BruteForceLayout(LayerModel model, double intraGbps, int maxMicroBatch) {
        this(model, intraGbps, maxMicroBatch, Variant.EXHAUSTIVE);
    }

    public BruteForceLayout(LayerModel model, double intraGbps, int maxMicroBatch, Variant variant) {
        this.model = Objects.requireNonNull(model, "model");
        this.variant = Objects.requireNonNull(variant, "variant");
        if (!(intraGbps > 0) || maxMicroBatch < 1) {
            throw new IllegalArgumentException("need intraGbps > 0 and maxMicroBatch ≥ 1");
        }
        this.intraGbps = intraGbps;
        this.maxMicroBatch = maxMicroBatch;
    }

    /** The best layout of {@code devices} for {@code batch} samples per step over every {@code P}. */
    public Result best(List<StageChip> devices, int batch) {
        return best(devices, batch, 1, Math.min(devices.size(), model.layers()));
    }

    /** The best layout with {@code fromStages ≤ P ≤ toStages}. */
    public Result best(List<StageChip> devices, int batch, int fromStages, int toStages) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be positive, got " + batch);
        }
        memo.clear();
        priced = 0;
        Result best = null;
        int n = devices.size();
        for (int p = Math.max(1, fromStages); p <= Math.min(toStages, Math.min(n, model.layers())); p++) {
            int replicas = n / p;
            List<int[][]> groupings = new ArrayList<>();
            groupings(n, p, replicas, new boolean[n], new ArrayList<>(), groupings);
            for (int[][] g : groupings) {
                for (int m : microBatchSizes(batch, replicas, maxMicroBatch)) {
                    Result r = split(devices, g, p, m, batch);
                    if (r != null && (best == null || r.samplesPerSec() > best.samplesPerSec())) {
                        best = r;
                    }
                }
            }
        }
        if (best == null) {
            return new Result(false, 0, 0, List.of(), List.of(), batch, Double.POSITIVE_INFINITY, priced);
        }
        return new Result(true, best.stages(), best.maxMicroBatch(), best.replicas(), best.idle(), batch,
                best.seconds(), priced);
    }

    /** The micro-batch sizes the planner's search tries for {@code batch} samples over {@code replicas}. */
    static List<Integer> microBatchSizes(int batch, int replicas, int cap) {
        int perReplica = Math.max(1, (batch + replicas - 1) / replicas);
        List<Integer> out = new ArrayList<>();
        for (int m = 1; m <= Math.min(perReplica, cap); m *= 2) {
            out.add(m);
        }
        if (perReplica <= cap && !out.contains(perReplica)) {
            out.add(perReplica);
        }
        return out;
    }

    /**
     * Every choice of {@code replicas} disjoint unordered groups of {@code p} devices (as indices), the rest idle:
     * the lowest unassigned device is either idle (while idle places remain) or starts the next group.
     */
    static void groupings(int n, int p, int replicas, boolean[] taken, List<int[]> chosen, List<int[][]> out) {
        if (chosen.size() == replicas) {
            out.add(chosen.toArray(new int[0][]));
            return;
        }
        int first = 0;
        while (first < n && taken[first]) {
            first++;
        }
        int untaken = 0;
        for (boolean t : taken) {
            untaken += t ? 0 : 1;
        }
        if (untaken < (replicas - chosen.size()) * p) {
            return;
        }
        // first starts a group
        taken[first] = true;
        int[] group = new int[p];
        group[0] = first;
        choose(n, p, replicas, taken, chosen, out, group, 1, first + 1);
        // or first stays idle, when there is room for that
        if (untaken - 1 >= (replicas - chosen.size()) * p) {
            groupings(n, p, replicas, taken, chosen, out);
        }
        taken[first] = false;
    }

    private static void choose(int n, int p, int replicas, boolean[] taken, List<int[]> chosen, List<int[][]> out,
                               int[] group, int k, int from) {
        if (k == p) {
            chosen.add(group.clone());
            groupings(n, p, replicas, taken, chosen, out);
            chosen.remove(chosen.size() - 1);
            return;
        }
        for (int j = from; j < n; j++) {
            if (!taken[j]) {
                taken[j] = true;
                group[k] = j;
                choose(n, p, replicas, taken, chosen, out, group, k + 1, j + 1);
                taken[j] = false;
            }
        }
    }

    /** The grouping at micro-batch size {@code m}, the batch split by the planner's rule; null when it cannot run. */
    private Result split(List<StageChip> devices, int[][] groups, int p, int m, int batch) {
        int r = groups.length;
        List<List<StageChip>> members = new ArrayList<>();
        boolean[] used = new boolean[devices.size()];
        for (int[] g : groups) {
            List<StageChip> list = new ArrayList<>();
            for (int i : g) {
                list.add(devices.get(i));
                used[i] = true;
            }
            members.add(list);
        }
        int[] share = new int[r];
        Arrays.fill(share, Math.max(1, (batch + r - 1) / r));
        boolean permute = true;
        if (variant.orderAtFirstShare()) {
            for (int i = 0; i < r; i++) {
                Replica first = bestReplica(members.get(i), m, share[i], true);
                if (!first.feasible()) {
                    return null;
                }
                members.set(i, first.order());
            }
            permute = false;
        }
        for (int round = 0; round < SPLIT_ROUNDS; round++) {
            double[] speeds = new double[r];
            for (int i = 0; i < r; i++) {
                int b = Math.max(1, share[i]);
                Replica best = bestReplica(members.get(i), m, b, permute);
                if (!best.feasible()) {
                    return null;
                }
                speeds[i] = b / best.seconds();
            }
            int[] caps = new int[r];
            Arrays.fill(caps, batch);
            Allocation a = BatchAllocator.balanced(speeds, caps, batch, true);
            if (!a.feasible()) {
                return null;
            }
            share = a.batch();
        }
        List<Replica> out = new ArrayList<>();
        double seconds = 0;
        for (int i = 0; i < r; i++) {
            Replica best = bestReplica(members.get(i), m, share[i], permute);
            if (!best.feasible()) {
                return null;
            }
            out.add(best);
            seconds = Math.max(seconds, best.seconds());
        }
        List<StageChip> idle = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            if (!used[i]) {
                idle.add(devices.get(i));
            }
        }
        return new Result(true, p, m, List.copyOf(out), List.copyOf(idle), batch, seconds, 0);
    }

    /**
     * The fastest order (every order when {@code permute}, else {@code group}'s own) and composition of
     * {@code group} for {@code batch} samples in micro-batches of {@code m}.
     */
    Replica bestReplica(List<StageChip> group, int m, int batch, boolean permute) {
        StringBuilder key = new StringBuilder(permute ? "any;" : "fixed;");
        group.forEach(d -> key.append(d.id()).append('\u0000'));
        key.append(m).append('/').append(batch);
        Replica cached = memo.get(key.toString());
        if (cached != null) {
            return cached;
        }
        int p = group.size();
        Replica[] best = {Replica.NONE};
        Visitor<List<StageChip>> splits = o -> {
            Visitor<int[]> price = counts -> {
                Replica r = price(o, counts, m, batch);
                priced++;
                if (r.seconds() < best[0].seconds()) {
                    best[0] = r;
                }
            };
            if (variant.equalBlocks()) {
                price.visit(equalCounts(model.layers(), p));
            } else {
                compositions(new int[p], 0, model.layers(), price);
            }
        };
        List<StageChip> order = new ArrayList<>(group);
        if (permute) {
            permutations(order, 0, splits);
        } else {
            splits.visit(order);
        }
        memo.put(key.toString(), best[0]);
        return best[0];
    }

    /**
     * One replica's step: {@code order} with {@code counts[i]} blocks on stage i, {@code batch} samples in
     * micro-batches of at most {@code m}; infinite seconds when a stage does not fit its device.
     */
    public Replica price(List<StageChip> order, int[] counts, int m, int batch) {
        int p = order.size();
        int b = Math.max(1, batch);
        int microBatches = (b + m - 1) / m;
        int size = (b + microBatches - 1) / microBatches;
        double hand = size * model.boundaryBytes() * 8 / (intraGbps * 1e9);
        double sum = 0;
        double max = 0;
        int first = 0;
        for (int i = 0; i < p; i++) {
            if (counts[i] < 1) {
                throw new IllegalArgumentException("stage " + i + " holds no block");
            }
            int last = first + counts[i] - 1;
            StageChip d = order.get(i);
            if (StageChip.memoryBytes(model, first, last, i, p, microBatches, size) > d.capacityBytes()) {
                return new Replica(List.copyOf(order), counts.clone(), batch, microBatches, size,
                        Double.POSITIVE_INFINITY);
            }
            double t = StageTime.of(d, model, first, last).seconds(size);
            sum += t + (i < p - 1 ? 2 * hand : 0);
            max = Math.max(max, t);
            first = last + 1;
        }
        if (first != model.layers()) {
            throw new IllegalArgumentException("counts " + Arrays.toString(counts) + " do not add up to "
                    + model.layers() + " blocks");
        }
        double seconds = batch == 0 ? 0 : sum + (microBatches - 1) * max;
        return new Replica(List.copyOf(order), counts.clone(), batch, microBatches, size, seconds);
    }

    /** {@code layers} blocks over {@code p} stages as evenly as possible, the first {@code layers mod p} one more. */
    public static int[] equalCounts(int layers, int p) {
        int[] counts = new int[p];
        for (int i = 0; i < p; i++) {
            counts[i] = layers / p + (i < layers % p ? 1 : 0);
        }
        return counts;
    }

    private interface Visitor<T> {
        void visit(T value);
    }

    private static void permutations(List<StageChip> a, int k, Visitor<List<StageChip>> visit) {
        if (k == a.size()) {
            visit.visit(a);
            return;
        }
        for (int i = k; i < a.size(); i++) {
            java.util.Collections.swap(a, k, i);
            permutations(a, k + 1, visit);
            java.util.Collections.swap(a, k, i);
        }
    }

    /** Every way of writing {@code left} blocks as {@code counts[k..]}, each at least 1. */
    private static void compositions(int[] counts, int k, int left, Visitor<int[]> visit) {
        int stagesLeft = counts.length - k;
        if (stagesLeft == 1) {
            counts[k] = left;
            visit.visit(counts);
            return;
        }
        for (int c = 1; c <= left - (stagesLeft - 1); c++) {
            counts[k] = c;
            compositions(counts, k + 1, left - c, visit);
        }
    }
}
