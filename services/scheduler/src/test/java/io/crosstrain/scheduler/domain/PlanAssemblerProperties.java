package io.crosstrain.scheduler.domain;

import io.crosstrain.testsupport.RandomCases;
import static io.crosstrain.testsupport.RandomCases.between;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ClusterPlanner;

class PlanAssemblerProperties {

    final PlanAssembler assembler = PlanAssemblerTest.assembler(64);

    private static final List<String> CHIPS = List.of("A100-80G", "H20", "Ascend-910B", "L20", "T4");
    private static final List<String> DATACENTERS = List.of("bj", "sh", "gy");
    private static final double MIN_CPU = 1e8;
    private static final double MAX_CPU = 1e10;

    /** Devices of a job, the global batch and the split policy. */
    record Case(List<InventoryDevice> devices, int globalBatch, boolean equal) {
    }

    @Test
    void everyPlanCoversTheGlobalBatchWithDistinctRanksAndSortedDatacenters() {
        int ran = RandomCases.check(edgeCases(), 2000,
                r -> new Case(randomDevices(r), between(r, 1, 512), r.nextBoolean()), this::check);
        assertThat(ran).isPositive();
    }

    private void check(Case c) {
        List<InventoryDevice> devices = c.devices();
        int globalBatch = c.globalBatch();
        JobSpec spec = new JobSpec("p", ModelSpec.demo(), null, 5, globalBatch, 1e-3, 1L, "diloco",
                c.equal() ? JobSpec.EQUAL : JobSpec.BALANCED, List.of(), null, null, 0);

        SchedulingDecision d = assembler.assemble(UUID.randomUUID(), spec, devices);

        assertThat(d).isInstanceOf(SchedulingDecision.Planned.class);
        Plan plan = ((SchedulingDecision.Planned) d).plan();
        assertThat(plan.devices().stream().mapToInt(PlanDevice::batch).sum()).isEqualTo(globalBatch);
        assertThat(plan.devices()).extracting(PlanDevice::rank)
                .containsExactlyElementsOf(IntStream.range(0, devices.size()).boxed().toList());
        assertThat(plan.datacenters()).isSorted().doesNotHaveDuplicates();
        assertThat(plan.datacenters()).containsExactlyInAnyOrderElementsOf(
                devices.stream().map(InventoryDevice::datacenter).distinct().toList());
        assertThat(plan.timeScale()).isPositive();
        assertThat(plan.devices()).allSatisfy(pd -> assertThat(pd.pacedStepSeconds()).isNotNegative());
    }

    /**
     * The ends of every range: one device and eight, batch 1 (fewer samples than devices) and 512, the slowest and
     * the fastest calibration, one datacenter and all three, one chip and every chip, both split policies.
     */
    private static List<Case> edgeCases() {
        List<Case> edges = new ArrayList<>();
        for (boolean equal : new boolean[] {true, false}) {
            for (int batch : new int[] {1, 2, 7, 8, 9, 511, 512}) {
                for (int n : new int[] {1, 2, 8}) {
                    edges.add(new Case(devices(n, i -> "A100-80G", i -> "bj", i -> MIN_CPU), batch, equal));
                    edges.add(new Case(devices(n, i -> "T4", i -> "gy", i -> MAX_CPU), batch, equal));
                    edges.add(new Case(devices(n, i -> CHIPS.get(i % CHIPS.size()),
                            i -> DATACENTERS.get(i % DATACENTERS.size()), i -> i % 2 == 0 ? MIN_CPU : MAX_CPU),
                            batch, equal));
                    // datacenters listed against their sort order
                    edges.add(new Case(devices(n, i -> CHIPS.get(CHIPS.size() - 1 - i % CHIPS.size()),
                            i -> DATACENTERS.get(i % DATACENTERS.size()), i -> MAX_CPU - i * 1e9), batch, equal));
                }
            }
        }
        return edges;
    }

    private static List<InventoryDevice> randomDevices(SplittableRandom r) {
        // chip, datacenter and calibration drawn independently per device, as the old generator did
        int n = between(r, 1, 8);
        List<String> chips = new ArrayList<>();
        List<String> dcs = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            chips.add(CHIPS.get(r.nextInt(CHIPS.size())));
            dcs.add(DATACENTERS.get(r.nextInt(DATACENTERS.size())));
            cpu.add(r.nextDouble(MIN_CPU, MAX_CPU));
        }
        return devices(n, chips::get, dcs::get, cpu::get);
    }

    private static List<InventoryDevice> devices(int n, IntFunction<String> chip, IntFunction<String> dc,
                                                 IntFunction<Double> cpu) {
        List<InventoryDevice> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new InventoryDevice("d" + i, "n" + i, dc.apply(i), chip.apply(i), "HEALTHY", Plan.EMULATED,
                    cpu.apply(i), 2));
        }
        return out;
    }
}
