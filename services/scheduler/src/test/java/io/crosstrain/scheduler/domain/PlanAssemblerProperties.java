package io.crosstrain.scheduler.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.Planner;

class PlanAssemblerProperties {

    final PlanAssembler assembler = new PlanAssembler(new Planner(ChipCatalogue.defaults()), 64);

    @Property(tries = 60)
    void everyPlanCoversTheGlobalBatchWithDistinctRanksAndSortedDatacenters(
            @ForAll("devices") List<InventoryDevice> devices, @ForAll @IntRange(min = 1, max = 512) int globalBatch,
            @ForAll boolean equal) {
        JobSpec spec = new JobSpec("p", ModelSpec.demo(), null, 5, globalBatch, 1e-3, 1L, "diloco",
                equal ? JobSpec.EQUAL : JobSpec.BALANCED, List.of(), null, null, 0);

        SchedulingDecision d = assembler.assemble(UUID.randomUUID(), spec, devices);

        assertThat(d).isInstanceOf(SchedulingDecision.Planned.class);
        Plan plan = ((SchedulingDecision.Planned) d).plan();
        assertThat(plan.devices().stream().mapToInt(PlanDevice::batch).sum()).isEqualTo(globalBatch);
        assertThat(plan.devices()).extracting(PlanDevice::rank)
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, devices.size()).boxed().toList());
        assertThat(plan.datacenters()).isSorted().doesNotHaveDuplicates();
        assertThat(plan.datacenters()).containsExactlyInAnyOrderElementsOf(
                devices.stream().map(InventoryDevice::datacenter).distinct().toList());
        assertThat(plan.timeScale()).isPositive();
        assertThat(plan.devices()).allSatisfy(pd -> assertThat(pd.pacedStepSeconds()).isNotNegative());
    }

    @Provide
    Arbitrary<List<InventoryDevice>> devices() {
        Arbitrary<String> chips = Arbitraries.of("A100-80G", "H20", "Ascend-910B", "L20", "T4");
        Arbitrary<String> dcs = Arbitraries.of("bj", "sh", "gy");
        Arbitrary<Double> cpu = Arbitraries.doubles().between(1e8, 1e10);
        return Arbitraries.integers().between(1, 8).flatMap(n ->
                chips.list().ofSize(n).flatMap(cs -> dcs.list().ofSize(n).flatMap(ds -> cpu.list().ofSize(n)
                        .map(fs -> {
                            List<InventoryDevice> out = new ArrayList<>();
                            for (int i = 0; i < n; i++) {
                                out.add(new InventoryDevice("d" + i, "n" + i, ds.get(i), cs.get(i), "HEALTHY",
                                        Plan.EMULATED, fs.get(i), 2));
                            }
                            return out;
                        }))));
    }
}
