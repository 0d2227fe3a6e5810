package io.crosstrain.bench.hybrid;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.planner.ChipSpec;
import io.crosstrain.planner.CostModel;
import io.crosstrain.planner.LayerModel;
import io.crosstrain.planner.ModelProfile;
import io.crosstrain.planner.hybrid.GroupLayoutSearch;
import io.crosstrain.planner.hybrid.ReplicaCost;
import io.crosstrain.planner.hybrid.StageChip;

/**
 * Part (a) of the hybrid bench: small random groups laid out by the planner's {@link GroupLayoutSearch} and by
 * {@link BruteForceLayout}. A case is drawn from its own seed, so any one case replays alone.
 *
 * <p>Each case: 1 to 8 blocks of a random transformer shape, 1 to 6 devices of 1 to 3 catalogue chips (one device
 * in five runs slower than its roofline, as a measured device does, which makes it a kind of its own), a memory
 * scale that makes the model's training state need between half a device and {@code 0.9 · min(n, L)} of the
 * roomiest devices (so memory decides {@code P} and the splits; never so little memory that the embeddings or the
 * head with one block leave no room on the roomiest device), a global batch from 1 to 1,000, an intra-datacenter
 * bandwidth of 10, 100 or 400 Gbit/s and a largest micro-batch of 64 (the default), 8 or 2.
 */
public final class SmallCases {

    static final int[] BATCHES = {1, 2, 3, 4, 5, 7, 8, 12, 16, 24, 32, 48, 64, 100, 128, 256, 1000};
    static final int[] WIDTHS = {256, 512, 1024, 2048, 4096};
    static final int[] SEQ_LENS = {128, 512, 2048};
    static final int[] VOCABS = {1000, 32000, 50000};
    static final double[] INTRA_GBPS = {10, 100, 400};
    static final int[] MAX_MICRO_BATCH = {64, 64, 64, 8, 2};

    /**
     * One case.
     *
     * @param seed          the seed it was drawn from
     * @param memoryScale   every device's memory scale
     * @param stateDevices  the training state over the roomiest device's capacity: how many of them the weights,
     *                      gradients and AdamW state alone need
     */
    public record Case(long seed, ModelSpec spec, LayerModel model, List<StageChip> devices, int batch,
                       double memoryScale, double stateDevices, double intraGbps, int maxMicroBatch) {

        public String describe() {
            StringBuilder chips = new StringBuilder();
            devices.forEach(d -> chips.append(chips.length() == 0 ? "" : ",").append(d.chip().name())
                    .append(d.slowdown() == 1.0 ? "" : String.format(Locale.ROOT, "(x%.2f slower)", d.slowdown())));
            return String.format(Locale.ROOT, "seed %d: L=%d d=%d seq=%d vocab=%d, %d devices [%s], G=%d, "
                            + "memory scale %.4g (state = %.2f roomiest devices), intra %.0f Gbit/s, "
                            + "max micro-batch %d",
                    seed, spec.layers(), spec.dModel(), spec.seqLen(), spec.vocabSize(), devices.size(), chips, batch,
                    memoryScale, stateDevices, intraGbps, maxMicroBatch);
        }
    }

    /**
     * One case's comparison.
     *
     * @param ratio brute-force samples/s ÷ planner samples/s: 1 when both find nothing, +∞ when only the brute
     *              force finds a layout, 0 when only the planner does
     */
    public record Outcome(Case c, GroupLayoutSearch.Layout planner, BruteForceLayout.Result brute, double ratio,
                          double plannerSeconds, double bruteSeconds) {
    }

    private SmallCases() {
    }

    public static Case generate(long seed, List<ChipSpec> catalogue) {
        SplittableRandom r = new SplittableRandom(seed);
        int layers = 1 + r.nextInt(8);
        int n = 1 + r.nextInt(6);
        int kinds = 1 + r.nextInt(3);
        List<ChipSpec> pool = new ArrayList<>(catalogue);
        List<ChipSpec> chosen = new ArrayList<>();
        for (int k = 0; k < kinds; k++) {
            chosen.add(pool.remove(r.nextInt(pool.size())));
        }
        int d = WIDTHS[r.nextInt(WIDTHS.length)];
        int seq = SEQ_LENS[r.nextInt(SEQ_LENS.length)];
        int vocab = VOCABS[r.nextInt(VOCABS.length)];
        ModelSpec spec = new ModelSpec(layers, d, Math.max(1, d / 64), seq, vocab);
        LayerModel model = LayerModel.of(spec, vocab);
        double[] slowdown = new double[n];
        ChipSpec[] chip = new ChipSpec[n];
        for (int i = 0; i < n; i++) {
            chip[i] = chosen.get(r.nextInt(chosen.size()));
            slowdown[i] = r.nextInt(5) == 0 ? 1.0 + r.nextDouble() : 1.0;
        }
        double roomiest = 0;
        for (ChipSpec c : chip) {
            roomiest = Math.max(roomiest, c.memoryBytes() * CostModel.USABLE_MEMORY_FRACTION);
        }
        double state = ModelProfile.BYTES_PER_PARAMETER * model.parameters();
        // the state needs k of the roomiest devices, k log-uniform in [0.5, max(0.5, 0.9 · min(n, L))] ...
        double most = Math.max(0.5, 0.9 * Math.min(n, layers));
        double k = Math.exp(Math.log(0.5) + r.nextDouble() * (Math.log(most) - Math.log(0.5)));
        // ... but the largest piece no split can divide (embeddings or head with one block, one sample's
        // activations) still fits the roomiest device with a tenth to spare
        double piece = Math.max(ModelProfile.BYTES_PER_PARAMETER * model.parameters(0, 0) + model.activations(0, 0),
                ModelProfile.BYTES_PER_PARAMETER * model.parameters(layers - 1, layers - 1)
                        + model.activations(layers - 1, layers - 1));
        double scale = Math.max(state / (k * roomiest), 1.1 * piece / roomiest);
        k = state / (scale * roomiest);
        List<StageChip> devices = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            devices.add(new StageChip(String.format(Locale.ROOT, "d%d-%s", i, chip[i].name()), chip[i], scale,
                    slowdown[i]));
        }
        int batch = BATCHES[r.nextInt(BATCHES.length)];
        double gbps = INTRA_GBPS[r.nextInt(INTRA_GBPS.length)];
        int maxMicro = MAX_MICRO_BATCH[r.nextInt(MAX_MICRO_BATCH.length)];
        return new Case(seed, spec, model, List.copyOf(devices), batch, scale, k, gbps, maxMicro);
    }

    /** The planner's layout and the brute force's for {@code c}. */
    public static Outcome run(Case c) {
        GroupLayoutSearch.Options defaults = GroupLayoutSearch.Options.defaults();
        GroupLayoutSearch.Options options = new GroupLayoutSearch.Options(c.maxMicroBatch(),
                defaults.exhaustiveDevices(), defaults.maxOrders(), defaults.maxStages());
        long t0 = System.nanoTime();
        GroupLayoutSearch.Layout planner = new GroupLayoutSearch(c.model(), c.intraGbps(), options)
                .best(c.devices(), c.batch());
        long t1 = System.nanoTime();
        BruteForceLayout.Result brute = new BruteForceLayout(c.model(), c.intraGbps(), c.maxMicroBatch())
                .best(c.devices(), c.batch());
        long t2 = System.nanoTime();
        return new Outcome(c, planner, brute, ratio(brute.samplesPerSec(), planner.feasible()
                ? planner.samplesPerSec() : 0), (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }

    /**
     * Why the brute force is ahead in a case, found by re-running with one difference removed at a time.
     *
     * @param cause                  in words
     * @param ratioEveryOrder        brute force ÷ the planner's search trying every order (no {@code maxOrders} cut)
     * @param ratioOrderAtFirstShare brute force with each replica's order fixed at the first share ÷ the search
     *                               trying every order (1 when that rule is the whole difference)
     */
    public record Diagnosis(String cause, double ratioEveryOrder, double ratioOrderAtFirstShare) {
    }

    static final double SAME = 1e-9;

    /** Null when the planner matches the brute force. */
    public static Diagnosis diagnose(Outcome o) {
        if (o.ratio() <= 1 + SAME) {
            return null;
        }
        Case c = o.c();
        GroupLayoutSearch.Options defaults = GroupLayoutSearch.Options.defaults();
        GroupLayoutSearch.Layout every = new GroupLayoutSearch(c.model(), c.intraGbps(),
                new GroupLayoutSearch.Options(c.maxMicroBatch(), defaults.exhaustiveDevices(), Integer.MAX_VALUE,
                        defaults.maxStages())).best(c.devices(), c.batch());
        double everySpeed = every.feasible() ? every.samplesPerSec() : 0;
        double r1 = ratio(o.brute().samplesPerSec(), everySpeed);
        BruteForceLayout.Result kept = new BruteForceLayout(c.model(), c.intraGbps(), c.maxMicroBatch(),
                new BruteForceLayout.Variant(false, true)).best(c.devices(), c.batch());
        double r2 = ratio(kept.samplesPerSec(), everySpeed);
        boolean cut = r1 < o.ratio() * (1 - SAME);
        boolean firstShare = r1 > 1 + SAME && Math.abs(r2 - 1) <= SAME;
        String cause;
        if (r1 <= 1 + SAME) {
            cause = "stage orders cut at maxOrders = " + defaults.maxOrders() + " (the search trying every order "
                    + "matches)";
        } else if (firstShare) {
            cause = (cut ? "stage orders cut at maxOrders = " + defaults.maxOrders() + ", and " : "")
                    + "each replica's order chosen at the first share ⌈G/R⌉ and kept when its share changes (the "
                    + "brute force with that rule matches the search trying every order)";
        } else {
            cause = "unexplained";
        }
        return new Diagnosis(cause, r1, r2);
    }

    static double ratio(double brute, double planner) {
        if (brute == 0 && planner == 0) {
            return 1;
        }
        if (planner == 0) {
            return Double.POSITIVE_INFINITY;
        }
        return brute / planner;
    }

    /** The planner's layout in words: P, micro-batch and per replica its chips, blocks and batch. */
    public static String describe(GroupLayoutSearch.Layout l) {
        if (!l.feasible()) {
            return "infeasible (" + l.reason() + ")";
        }
        StringBuilder s = new StringBuilder("P=" + l.stages() + " m=" + l.maxMicroBatch());
        for (ReplicaCost.Replica r : l.replicas()) {
            s.append(" | b=").append(r.batch()).append(' ');
            for (ReplicaCost.Stage st : r.stages()) {
                s.append(st.index() == 0 ? "" : ">").append(st.device().id()).append(':').append(st.layers());
            }
        }
        if (!l.idle().isEmpty()) {
            s.append(" | idle ").append(l.idle().stream().map(StageChip::id).toList());
        }
        return s.toString();
    }

    /** The brute force's layout in words, as {@link #describe(GroupLayoutSearch.Layout)}. */
    public static String describe(BruteForceLayout.Result b) {
        if (!b.feasible()) {
            return "infeasible";
        }
        StringBuilder s = new StringBuilder("P=" + b.stages() + " m=" + b.maxMicroBatch());
        for (BruteForceLayout.Replica r : b.replicas()) {
            s.append(" | b=").append(r.batch()).append(' ');
            for (int i = 0; i < r.order().size(); i++) {
                s.append(i == 0 ? "" : ">").append(r.order().get(i).id()).append(':').append(r.counts()[i]);
            }
        }
        if (!b.idle().isEmpty()) {
            s.append(" | idle ").append(b.idle().stream().map(StageChip::id).toList());
        }
        return s.toString();
    }
}
