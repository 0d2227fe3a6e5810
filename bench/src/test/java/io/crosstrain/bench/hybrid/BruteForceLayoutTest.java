package io.crosstrain.bench.hybrid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.crosstrain.bench.HybridBench;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.LayerModel;
import io.crosstrain.planner.hybrid.GroupLayoutSearch;
import io.crosstrain.planner.hybrid.ReplicaCost;
import io.crosstrain.planner.hybrid.StageChip;

/** The bench's brute force against the planner's search: they agree, and the comparison can tell them apart. */
class BruteForceLayoutTest {

    private static final ChipCatalogue CHIPS = ChipCatalogue.defaults();

    /** The first cases of the bench's own stream: the planner's layout is as fast as the best of every layout. */
    @Test
    void agreesWithTheSearchOnTheBenchsFirstCases() {
        SplittableRandom base = new SplittableRandom(HybridBench.DEFAULT_SEED);
        int pipelined = 0;
        int feasible = 0;
        for (int i = 0; i < 12; i++) {
            SmallCases.Case c = SmallCases.generate(base.nextLong(), CHIPS.all());
            SmallCases.Outcome o = SmallCases.run(c);
            assertThat(o.planner().feasible()).as(c.describe()).isEqualTo(o.brute().feasible());
            assertThat(o.ratio()).as(c.describe() + "\nplanner " + SmallCases.describe(o.planner()) + "\nbrute "
                    + SmallCases.describe(o.brute())).isCloseTo(1.0, within(1e-9));
            if (o.planner().feasible()) {
                feasible++;
                pipelined += o.planner().stages() > 1 ? 1 : 0;
            }
        }
        // not only trivial cases: most lay out, and several of them as pipelines
        assertThat(feasible).isGreaterThanOrEqualTo(6);
        assertThat(pipelined).isGreaterThanOrEqualTo(3);
    }

    /**
     * Two kinds that must share a replica: at this memory scale the state (2.26 GB) fits neither one device nor two
     * A100-80G (2.16 GB), only an A100-80G with an H20 or more devices; memory binds the split.
     */
    @Test
    void agreesOnAMixedReplicaThatMemoryForces() {
        LayerModel model = LayerModel.of(new ModelSpec(6, 1024, 16, 1024, 32000), 32000);
        double scale = 0.015;
        List<StageChip> devices = List.of(StageChip.of("a0", CHIPS.get("A100-80G"), scale),
                StageChip.of("h0", CHIPS.get("H20"), scale), StageChip.of("a1", CHIPS.get("A100-80G"), scale),
                StageChip.of("h1", CHIPS.get("H20"), scale));
        for (int batch : new int[] {1, 5, 32}) {
            GroupLayoutSearch.Layout planner = new GroupLayoutSearch(model, 100, GroupLayoutSearch.Options.defaults())
                    .best(devices, batch);
            BruteForceLayout.Result brute = new BruteForceLayout(model, 100, 64).best(devices, batch);
            assertThat(planner.feasible()).isTrue();
            assertThat(planner.stages()).isGreaterThan(1);
            assertThat(planner.replicas()).allMatch(r -> r.devices().stream().map(d -> d.chip().name()).distinct()
                    .count() == 2);
            assertThat(brute.samplesPerSec() / planner.samplesPerSec()).as("G=" + batch)
                    .isCloseTo(1.0, within(1e-9));
        }
    }

    /** The cost model restated in the brute force prices the planner's own layout exactly as the planner does. */
    @Test
    void pricesThePlannersLayoutAsThePlannerDoes() {
        SplittableRandom base = new SplittableRandom(HybridBench.DEFAULT_SEED);
        int checked = 0;
        for (int i = 0; i < 40; i++) {
            SmallCases.Case c = SmallCases.generate(base.nextLong(), CHIPS.all());
            GroupLayoutSearch.Layout l = new GroupLayoutSearch(c.model(), c.intraGbps(), new GroupLayoutSearch.Options(
                    c.maxMicroBatch(), 8, 24, 0)).best(c.devices(), c.batch());
            if (!l.feasible()) {
                continue;
            }
            BruteForceLayout brute = new BruteForceLayout(c.model(), c.intraGbps(), c.maxMicroBatch());
            for (ReplicaCost.Replica r : l.replicas()) {
                int[] counts = r.stages().stream().mapToInt(ReplicaCost.Stage::layers).toArray();
                BruteForceLayout.Replica mine = brute.price(r.devices(), counts, l.maxMicroBatch(), r.batch());
                assertThat(mine.microBatches()).isEqualTo(r.microBatches() == 0 ? 1 : r.microBatches());
                assertThat(mine.seconds()).as(c.describe()).isCloseTo(r.seconds(),
                        within(1e-12 * Math.max(1, r.seconds())));
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(20);
    }

    /** Ways of choosing ⌊n/p⌋ unordered groups of p out of n devices (the rest idle). */
    @Test
    void enumeratesEveryGrouping() {
        assertThat(groupings(6, 1)).isEqualTo(1);
        assertThat(groupings(6, 2)).isEqualTo(15); // 6! / (2!^3 · 3!)
        assertThat(groupings(6, 3)).isEqualTo(10);
        assertThat(groupings(6, 4)).isEqualTo(15); // C(6, 4)
        assertThat(groupings(5, 2)).isEqualTo(15); // 5 idle choices × 3 pairings of the other 4
        assertThat(groupings(7, 3)).isEqualTo(70); // 7 × 10
        assertThat(groupings(6, 6)).isEqualTo(1);
    }

    private static int groupings(int n, int p) {
        List<int[][]> out = new ArrayList<>();
        BruteForceLayout.groupings(n, p, n / p, new boolean[n], new ArrayList<>(), out);
        return out.size();
    }

    /**
     * The comparison is not vacuous: against deliberately restricted searches the brute force finds better layouts.
     * The model does not fit an A100-40G alone at this memory scale, so data parallel only (P = 1) cannot run; the
     * MI300X must be the first stage (it holds the micro-batches in flight there), which a search that tries only
     * the first order of the kinds (A100-40G first, by name) misses.
     */
    @Test
    void beatsDeliberatelyRestrictedSearches() {
        LayerModel model = LayerModel.of(new ModelSpec(4, 1024, 16, 2048, 1000), 1000);
        double scale = 0.02;
        List<StageChip> devices = List.of(StageChip.of("a", CHIPS.get("A100-40G"), scale),
                StageChip.of("m", CHIPS.get("MI300X"), scale));
        int batch = 8;
        BruteForceLayout.Result brute = new BruteForceLayout(model, 100, 64).best(devices, batch);
        assertThat(brute.feasible()).isTrue();
        assertThat(brute.stages()).isEqualTo(2);
        assertThat(brute.replicas().get(0).order().get(0).id()).isEqualTo("m");

        GroupLayoutSearch.Layout dataParallel = new GroupLayoutSearch(model, 100, GroupLayoutSearch.Options.defaults())
                .withStages(devices, batch, 1);
        assertThat(dataParallel.feasible()).isFalse();
        assertThat(new BruteForceLayout(model, 100, 64).best(devices, batch, 1, 1).feasible()).isFalse();

        GroupLayoutSearch search = new GroupLayoutSearch(model, 100, GroupLayoutSearch.Options.defaults());
        GroupLayoutSearch.Layout full = search.best(devices, batch);
        // a search held to even block splits is caught being slower
        GroupLayoutSearch.Layout evenOnly = search.equalLayers(full, batch);
        assertThat(evenOnly.feasible()).isTrue();
        assertThat(brute.samplesPerSec() / evenOnly.samplesPerSec()).isGreaterThan(1.05);
        assertThat(SmallCases.ratio(brute.samplesPerSec(), evenOnly.samplesPerSec())).isGreaterThan(1.05);

        assertThat(brute.samplesPerSec() / full.samplesPerSec()).isCloseTo(1.0, within(1e-9));
    }

    /** The even split baseline: the first L mod P stages one block more. */
    @Test
    void equalCountsPutTheRemainderFirst() {
        assertThat(BruteForceLayout.equalCounts(32, 7)).containsExactly(5, 5, 5, 5, 4, 4, 4);
        assertThat(BruteForceLayout.equalCounts(8, 8)).containsExactly(1, 1, 1, 1, 1, 1, 1, 1);
    }
}
