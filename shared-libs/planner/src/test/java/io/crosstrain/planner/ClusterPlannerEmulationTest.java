package io.crosstrain.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.planner.ClusterPlanner.Device;
import io.crosstrain.planner.ClusterPlanner.DevicePlan;
import io.crosstrain.planner.ClusterPlanner.Emulation;
import io.crosstrain.planner.ClusterPlanner.Job;
import io.crosstrain.planner.ClusterPlanner.Request;
import io.crosstrain.planner.ClusterPlanner.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The planner as the scheduler uses it for emulated chips: ranks, the split, the time scale and pacing. */
class ClusterPlannerEmulationTest {

    private static final ModelProfile DEMO = ModelProfile.of(ModelSpec.demo(), 40);
    private final ClusterPlanner planner = new ClusterPlanner(ChipCatalogue.defaults());

    private static Device device(String id, String node, String dc, String chip, Double measured, Integer cap,
                                 double cpu) {
        return new Device(id, dc, node, chip, measured, cap, null, null, cpu);
    }

    private static Request request(List<Device> devices, int g, String allocation, boolean accumulate, Double k,
                                   int cores, boolean emulated) {
        Job job = new Job(DEMO, null, g, accumulate, "sync-dp", null, null, null, null, allocation, null, null);
        return new Request(null, null, devices, job, emulated ? new Emulation(k, cores, 0.5, 0) : null);
    }

    /** ARCHITECTURE.md §10 scaled down: 4× A100-80G in bj, 4× H20 in sh, 4× Ascend 910B in gy. */
    private static List<Device> section10Cluster() {
        List<Device> devices = new ArrayList<>();
        // listed out of order on purpose: the planner ranks by (datacenter, deviceId)
        for (int i = 3; i >= 0; i--) {
            devices.add(device("sh-h20-" + i, "sh-node", "sh", "H20", null, null, 0.002));
            devices.add(device("bj-a100-" + i, "bj-node", "bj", "A100-80G", null, null, 0.002));
            devices.add(device("gy-910b-" + i, "gy-node", "gy", "Ascend-910B", null, null, 0.002));
        }
        return devices;
    }

    private static Request request(List<Device> devices, String allocation, boolean emulated) {
        return request(devices, 88, allocation, false, null, 2, emulated);
    }

    @Test
    void balancedPlanOfTheSection10ClusterIsNearlyPerfect() {
        Result r = planner.plan(request(section10Cluster(), "balanced", true));

        assertThat(r.feasible()).isTrue();
        assertThat(r.reason()).isNull();
        assertThat(r.datacenters()).extracting(ClusterPlanner.DatacenterPlan::id).containsExactly("bj", "gy", "sh");
        assertThat(r.devices()).extracting(DevicePlan::id).containsExactly(
                "bj-a100-0", "bj-a100-1", "bj-a100-2", "bj-a100-3", "gy-910b-0", "gy-910b-1", "gy-910b-2",
                "gy-910b-3", "sh-h20-0", "sh-h20-1", "sh-h20-2", "sh-h20-3");
        assertThat(r.devices()).extracting(DevicePlan::rank).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        assertThat(r.devices()).extracting(DevicePlan::batch).containsExactly(9, 9, 9, 9, 9, 9, 9, 9, 4, 4, 4, 4);
        assertThat(r.devices().stream().mapToInt(DevicePlan::batch).sum()).isEqualTo(88);
        assertThat(r.predicted().eta()).isGreaterThanOrEqualTo(0.95);
        // equal split runs at the H20s' pace: ≈ 12·148/3120 ≈ 0.57 when compute-bound, 0.596 with G = 88's rounding
        assertThat(r.predicted().equalSplitEta()).isBetween(0.5, 0.62);

        assertThat(r.timeScale()).isNotNull().isPositive();
        double maxPaced = 0;
        for (DevicePlan d : r.devices()) {
            assertThat(d.pacedStepSeconds()).isCloseTo(d.batch() / (d.samplesPerSec() * r.timeScale()),
                    within(1e-12));
            maxPaced = Math.max(maxPaced, d.pacedStepSeconds());
        }
        assertThat(r.pacedStepSeconds()).isCloseTo(maxPaced, within(1e-12));
        // the host budget holds with equality: 88 samples · 2 ms = 0.5 · 2 cores · step
        assertThat(88 * 0.002).isCloseTo(0.5 * 2 * r.pacedStepSeconds(), within(1e-12));
    }

    @Test
    void equalSplitBaselineSharesTheTimeScaleOfTheBalancedJob() {
        Result balanced = planner.plan(request(section10Cluster(), "balanced", true));
        Result equal = planner.plan(request(section10Cluster(), "equal", true));

        assertThat(equal.feasible()).isTrue();
        assertThat(equal.timeScale()).isEqualTo(balanced.timeScale());
        assertThat(equal.devices()).extracting(DevicePlan::batch).containsExactly(8, 8, 8, 8, 7, 7, 7, 7, 7, 7, 7, 7);
        assertThat(equal.predicted().eta()).isEqualTo(equal.predicted().equalSplitEta()).isBetween(0.5, 0.62);
        assertThat(equal.pacedStepSeconds()).isGreaterThan(balanced.pacedStepSeconds());
        // same devices and k, so the ratio of step times is the ratio of real-chip step times
        assertThat(equal.pacedStepSeconds() / balanced.pacedStepSeconds())
                .isCloseTo(balanced.predicted().eta() / equal.predicted().eta(), within(1e-9));
    }

    @Test
    void realDevicesAreNotPaced() {
        Result r = planner.plan(request(section10Cluster(), "balanced", false));

        assertThat(r.timeScale()).isNull();
        assertThat(r.devices()).allSatisfy(d -> assertThat(d.pacedStepSeconds()).isZero());
        double maxChipTime = r.devices().stream().mapToDouble(d -> d.batch() / d.samplesPerSec()).max()
                .orElseThrow();
        assertThat(r.predicted().computeSeconds()).isEqualTo(maxChipTime);
        // real chips also pay the all-reduce inside each datacenter, which emulation leaves out
        assertThat(r.predicted().stepSeconds()).isEqualTo(maxChipTime + r.predicted().intraSyncSeconds());
        assertThat(r.predicted().intraSyncSeconds()).isPositive();
        assertThat(r.pacedStepSeconds()).isZero();
    }

    @Test
    void measuredSpeedsCapsAndAGivenTimeScaleWin() {
        List<Device> devices = List.of(
                device("a", "n1", "dc1", "no-such-chip", 30.0, 5, 0.0),
                device("b", "n2", "dc2", "T4", 10.0, null, 0.0));

        Result r = planner.plan(request(devices, 8, null, false, 2.0, 1, true));

        assertThat(r.timeScale()).isEqualTo(2.0);
        assertThat(r.devices()).extracting(DevicePlan::samplesPerSec).containsExactly(30.0, 10.0);
        assertThat(r.devices()).extracting(DevicePlan::batch).containsExactly(5, 3);   // a is capped at 5
        assertThat(r.devices().get(0).pacedStepSeconds()).isEqualTo(5 / 60.0);
        assertThat(r.pacedStepSeconds()).isEqualTo(3 / 20.0);
    }

    @Test
    void accumulationSplitsIntoMicroBatches() {
        List<Device> devices = List.of(
                device("fast", "n", "dc", "H100", 10.0, 2, 0.01),
                device("slow", "n", "dc", "T4", 1.0, 100, 0.01));

        Result without = planner.plan(request(devices, 11, "balanced", false, null, 2, true));
        Result with = planner.plan(request(devices, 11, "balanced", true, null, 2, true));

        assertThat(without.devices()).extracting(DevicePlan::batch).containsExactly(2, 9);
        assertThat(with.devices()).extracting(DevicePlan::batch).containsExactly(10, 1);
        assertThat(with.devices()).extracting(DevicePlan::microBatches).containsExactly(5, 1);
    }

    @Test
    void notEnoughMemoryIsInfeasibleWithTheReason() {
        List<Device> devices = List.of(
                device("a", "n", "dc2", "T4", null, 3, 0.01),
                device("b", "n", "dc1", "T4", null, 4, 0.01));

        Result r = planner.plan(request(devices, 8, "balanced", false, null, 2, true));

        assertThat(r.feasible()).isFalse();
        assertThat(r.reason()).contains("sum to 7").contains("global batch of 8");
        assertThat(r.devices()).isEmpty();
        assertThat(r.timeScale()).isNull();
    }

    @Test
    void missingCpuCostCannotCalibrateEmulation() {
        List<Device> devices = List.of(device("a", "n", "dc", "T4", null, null, 0.0));

        Result r = planner.plan(request(devices, 8, "balanced", false, null, 2, true));

        assertThat(r.feasible()).isFalse();
        assertThat(r.reason()).contains("cannot calibrate the emulation time scale");
    }

    @Test
    void malformedRequestsAreRejected() {
        List<Device> unknownChip = List.of(device("x", "n", "dc", "B200", null, null, 0.01));
        assertThatThrownBy(() -> planner.plan(request(unknownChip, "balanced", true)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("device x").hasMessageContaining("unknown chip 'B200'");
        assertThatThrownBy(() -> planner.plan(request(section10Cluster(), "greedy", true)))
                .hasMessageContaining("'greedy'");
        List<Device> twice = List.of(device("x", "n", "dc", "T4", null, null, 0.01),
                device("x", "n", "dc", "T4", null, null, 0.01));
        assertThatThrownBy(() -> planner.plan(request(twice, "balanced", true))).hasMessageContaining("twice");
    }

    @Test
    void tenThousandDevicePlanIsCompleteAndOptimal() {
        String[] chips = {"A100-80G", "H20", "Ascend-910B", "H100", "T4", "MI300X"};
        SplittableRandom random = new SplittableRandom(7);
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            String chip = chips[random.nextInt(chips.length)];
            Double measured = random.nextBoolean() ? null : 100 + random.nextDouble() * 900;
            devices.add(device(String.format("dev-%05d", i), "node-" + i / 8, "dc-" + i % 7, chip, measured,
                    random.nextInt(0, 64), 0.001));
        }

        Result r = planner.plan(request(devices, 250_000, "balanced", false, null, 8, true));

        assertThat(r.feasible()).isTrue();
        // a device the model leaves no room on is not held by the job
        long fitting = devices.stream().filter(d -> d.maxMicroBatch() > 0).count();
        assertThat(r.devices()).hasSize((int) fitting);
        assertThat(r.assumptions()).anyMatch(a -> a.contains((10_000 - fitting) + " excluded because the model "
                + "leaves no room"));
        assertThat(r.datacenters()).extracting(ClusterPlanner.DatacenterPlan::id)
                .containsExactly("dc-0", "dc-1", "dc-2", "dc-3", "dc-4", "dc-5", "dc-6");
        assertThat(r.devices().stream().mapToLong(DevicePlan::batch).sum()).isEqualTo(250_000);
        for (int i = 0; i < r.devices().size(); i++) {
            DevicePlan d = r.devices().get(i);
            assertThat(d.rank()).isEqualTo(i);
            if (i > 0) {
                DevicePlan prev = r.devices().get(i - 1);
                assertThat(prev.datacenter() + "/" + prev.id()).isLessThan(d.datacenter() + "/" + d.id());
            }
        }
        // every device is paced to at most the step, and the step is reached by a device that could not give any
        // sample away without another device exceeding it (checked through the allocator's certificate)
        Map<String, Device> inputs = devices.stream().collect(Collectors.toMap(Device::id, Function.identity()));
        double kStep = r.pacedStepSeconds() * r.timeScale();
        double strictlyFaster = 0;
        for (DevicePlan d : r.devices()) {
            Device in = inputs.get(d.id());
            assertThat(d.batch()).isBetween(0, in.maxMicroBatch());
            assertThat(d.pacedStepSeconds()).isLessThanOrEqualTo(r.pacedStepSeconds() * (1 + 1e-12));
            long k = Math.min(in.maxMicroBatch(), (long) Math.floor(kStep * d.samplesPerSec()) + 1);
            while (k > 0 && k / d.samplesPerSec() >= kStep * (1 - 1e-12)) {
                k--;
            }
            strictlyFaster += k;
        }
        assertThat(strictlyFaster).isLessThan(250_000);
        assertThat(r.predicted().eta()).isGreaterThan(r.predicted().equalSplitEta());
    }
}
