package io.crosstrain.bench.hybrid;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ChipSpec;
import io.crosstrain.planner.ClusterPlanner;
import io.crosstrain.planner.LayerModel;
import io.crosstrain.planner.ModelProfile;
import io.crosstrain.planner.hybrid.GroupLayoutSearch;
import io.crosstrain.planner.hybrid.ReplicaCost;
import io.crosstrain.planner.hybrid.StageChip;

/**
 * Part (b) of the hybrid bench: one datacenter of 4× A100-80G and 4× H20 training a 32-block, {@code d = 7168}
 * transformer (about 20 B parameters, 16 bytes of weights, gradients and AdamW state each: about 320 GB).
 *
 * <p>Why this case: a block's state is 9.87 GB. Four A100-80G (72 GB usable each, 288 GB) cannot hold the 323 GB
 * at all; an H20 (86.4 GB usable) holds at most 8 blocks, so four H20 would need exactly 8 each, plus the embeddings,
 * the head and the activations 1F1B keeps in flight, which does not fit either. Two replicas of four would need
 * 647 GB of the 634 GB the eight devices hold. So every layout is one replica of five to eight stages that spans both
 * kinds. An H20 computes at 148 TFLOPS against the A100's 312, so a block takes about 2.1 times as long on an H20;
 * an even split makes the H20 stages the bottleneck while the A100 stages wait. The uneven split gives the A100s as
 * many blocks as their memory allows at their position (the first stages keep the most micro-batches in flight) and
 * the H20s fewer, which is what the planner's per-stage split buys over the even one. The even split keeps the same
 * replica and stage order and picks its own best micro-batch size; the brute force over every {@code P}, grouping
 * and order with even splits is reported as the harder baseline.
 */
public final class MixedGroup {

    /**
     * The comparison.
     *
     * @param singleKind per kind, why four devices of it alone cannot hold a replica (or the layout they would have)
     * @param everyOrder the planner's search with no cut on the stage orders it tries ({@code maxOrders} unlimited)
     * @param bestEqual  the brute force over every {@code P}, replica grouping, stage order and micro-batch size with
     *                   the blocks split evenly: the best an equal split can do on these devices
     */
    public record Outcome(LayerModel model, ModelSpec spec, int batch, double intraGbps, List<StageChip> devices,
                          GroupLayoutSearch.Layout planner, GroupLayoutSearch.Layout equalLayers,
                          Map<String, GroupLayoutSearch.Layout> singleKind, double stateBytes,
                          GroupLayoutSearch.Layout everyOrder, BruteForceLayout.Result bestEqual) {

        public double speedup() {
            return equalLayers.feasible() && equalLayers.samplesPerSec() > 0
                    ? planner.samplesPerSec() / equalLayers.samplesPerSec() : Double.POSITIVE_INFINITY;
        }

        /** Whether every replica of the planner's layout holds chips of more than one kind. */
        public double speedupOverBestEqual() {
            return bestEqual.feasible() ? planner.samplesPerSec() / bestEqual.samplesPerSec()
                    : Double.POSITIVE_INFINITY;
        }

        public boolean everyReplicaMixed() {
            return planner.feasible() && planner.replicas().stream().allMatch(r -> r.devices().stream()
                    .map(d -> d.chip().name()).distinct().count() > 1);
        }
    }

    private MixedGroup() {
    }

    public static Outcome run(int layers, int dModel, int seqLen, int vocab, int perKind, String fast, String slow,
                              int batch) {
        ChipCatalogue catalogue = ChipCatalogue.defaults();
        ChipSpec a = catalogue.get(fast);
        ChipSpec b = catalogue.get(slow);
        ModelSpec spec = new ModelSpec(layers, dModel, Math.max(1, dModel / 128), seqLen, vocab);
        LayerModel model = LayerModel.of(spec, vocab);
        double gbps = ClusterPlanner.DEFAULT_INTRA_DC_GBPS;
        List<StageChip> fastOnes = new ArrayList<>();
        List<StageChip> slowOnes = new ArrayList<>();
        for (int i = 0; i < perKind; i++) {
            fastOnes.add(StageChip.of(String.format(Locale.ROOT, "%s-%d", a.name(), i), a, 1.0));
            slowOnes.add(StageChip.of(String.format(Locale.ROOT, "%s-%d", b.name(), i), b, 1.0));
        }
        List<StageChip> all = new ArrayList<>(fastOnes);
        all.addAll(slowOnes);
        GroupLayoutSearch search = new GroupLayoutSearch(model, gbps, GroupLayoutSearch.Options.defaults());
        GroupLayoutSearch.Layout best = search.best(all, batch);
        GroupLayoutSearch.Layout equal = search.equalLayers(best, batch);
        Map<String, GroupLayoutSearch.Layout> single = new LinkedHashMap<>();
        single.put(a.name(), new GroupLayoutSearch(model, gbps, GroupLayoutSearch.Options.defaults())
                .best(fastOnes, batch));
        single.put(b.name(), new GroupLayoutSearch(model, gbps, GroupLayoutSearch.Options.defaults())
                .best(slowOnes, batch));
        GroupLayoutSearch.Options d = GroupLayoutSearch.Options.defaults();
        GroupLayoutSearch.Layout everyOrder = new GroupLayoutSearch(model, gbps, new GroupLayoutSearch.Options(
                d.maxMicroBatch(), d.exhaustiveDevices(), Integer.MAX_VALUE, d.maxStages())).best(all, batch);
        BruteForceLayout.Result bestEqual = new BruteForceLayout(model, gbps, d.maxMicroBatch(),
                new BruteForceLayout.Variant(true, false)).best(all, batch);
        return new Outcome(model, spec, batch, gbps, List.copyOf(all), best, equal, single,
                ModelProfile.BYTES_PER_PARAMETER * model.parameters(), everyOrder, bestEqual);
    }

    /** Per stage of each replica: chip, blocks, memory against capacity and its time for one micro-batch. */
    public static List<Map<String, Object>> stages(GroupLayoutSearch.Layout l) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!l.feasible()) {
            return out;
        }
        for (int r = 0; r < l.replicas().size(); r++) {
            ReplicaCost.Replica rep = l.replicas().get(r);
            for (ReplicaCost.Stage s : rep.stages()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("replica", r);
                row.put("stage", s.index());
                row.put("device", s.device().id());
                row.put("chip", s.device().chip().name());
                row.put("blocks", s.layers());
                row.put("firstBlock", s.firstLayer());
                row.put("lastBlock", s.lastLayer());
                row.put("predictedMemoryGb", s.memoryBytes() / 1e9);
                row.put("capacityGb", s.device().capacityBytes() / 1e9);
                row.put("predictedMicroBatchSeconds", s.time().seconds(rep.microBatchSize()));
                out.add(row);
            }
        }
        return out;
    }

    /** "A100-80G:5 > H20:3 > …": a replica's chips in stage order with their block counts. */
    public static String layoutLine(ReplicaCost.Replica r) {
        StringBuilder s = new StringBuilder();
        for (ReplicaCost.Stage st : r.stages()) {
            s.append(s.length() == 0 ? "" : " > ").append(st.device().chip().name()).append(':').append(st.layers());
        }
        return s.toString();
    }
}
