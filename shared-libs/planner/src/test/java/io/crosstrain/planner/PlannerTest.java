package io.crosstrain.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.planner.Planner.DeviceInput;
import io.crosstrain.planner.Planner.DevicePlan;
import io.crosstrain.planner.Planner.Request;
import io.crosstrain.planner.Planner.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PlannerTest {

    private static final ModelProfile DEMO = ModelProfile.of(ModelSpec.demo(), 40);
    private final Planner planner = new Planner(ChipCatalogue.defaults());

    /** ARCHITECTURE.md §10 scaled down: 4× A100-80G in bj, 4× H20 in sh, 4× Ascend 910B in gy. */
    private static List<DeviceInput> section10Cluster() {
        List<DeviceInput> devices = new ArrayList<>();
        // listed out of order on purpose: the planner ranks by (datacenter, deviceId)
        for (int i = 3; i >= 0; i--) {
            devices.add(new DeviceInput("sh-h20-" + i, "sh-node", "sh", "H20", null, null, 0.002));
            devices.add(new DeviceInput("bj-a100-" + i, "bj-node", "bj", "A100-80G", null, null, 0.002));
            devices.add(new DeviceInput("gy-910b-" + i, "gy-node", "gy", "Ascend-910B", null, null, 0.002));
        }
        return devices;
    }

    private static Request request(List<DeviceInput> devices, String allocation, boolean emulated) {
        return new Request(devices, DEMO, 88, allocation, false, null, 2, emulated);
    }

    @Test
    void balancedPlanOfTheSection10ClusterIsNearlyPerfect() {
        Result r = planner.plan(request(section10Cluster(), "balanced", true));

        assertThat(r.feasible()).isTrue();
        assertThat(r.reason()).isNull();
        assertThat(r.datacenters()).containsExactly("bj", "gy", "sh");
        assertThat(r.devices()).extracting(DevicePlan::deviceId).containsExactly(
                "bj-a100-0", "bj-a100-1", "bj-a100-2", "bj-a100-3", "gy-910b-0", "gy-910b-1", "gy-910b-2",
                "gy-910b-3", "sh-h20-0", "sh-h20-1", "sh-h20-2", "sh-h20-3");
        assertThat(r.devices()).extracting(DevicePlan::rank).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        assertThat(r.devices()).extracting(DevicePlan::batch).containsExactly(9, 9, 9, 9, 9, 9, 9, 9, 4, 4, 4, 4);
        assertThat(r.devices().stream().mapToInt(DevicePlan::batch).sum()).isEqualTo(88);
        assertThat(r.predictedEta()).isGreaterThanOrEqualTo(0.95);
        // equal split runs at the H20s' pace: ≈ 12·148/3120 ≈ 0.57 when compute-bound, 0.596 with G = 88's rounding
        assertThat(r.predictedEqualSplitEta()).isBetween(0.5, 0.62);

        assertThat(r.timeScale()).isNotNull().isPositive();
        double maxPaced = 0;
        for (DevicePlan d : r.devices()) {
            assertThat(d.pacedStepSeconds()).isCloseTo(d.batch() / (d.chipSamplesPerSec() * r.timeScale()),
                    within(1e-12));
            maxPaced = Math.max(maxPaced, d.pacedStepSeconds());
        }
        assertThat(r.predictedStepSeconds()).isEqualTo(maxPaced);
        // the host budget holds with equality: 88 samples · 2 ms = 0.5 · 2 cores · step
        assertThat(88 * 0.002).isCloseTo(0.5 * 2 * r.predictedStepSeconds(), within(1e-12));
    }

    @Test
    void equalSplitBaselineSharesTheTimeScaleOfTheBalancedJob() {
        Result balanced = planner.plan(request(section10Cluster(), "balanced", true));
        Result equal = planner.plan(request(section10Cluster(), "equal", true));

        assertThat(equal.feasible()).isTrue();
        assertThat(equal.timeScale()).isEqualTo(balanced.timeScale());
        assertThat(equal.devices()).extracting(DevicePlan::batch).containsExactly(8, 8, 8, 8, 7, 7, 7, 7, 7, 7, 7, 7);
        assertThat(equal.predictedEta()).isEqualTo(equal.predictedEqualSplitEta()).isBetween(0.5, 0.62);
        assertThat(equal.predictedStepSeconds()).isGreaterThan(balanced.predictedStepSeconds());
        // same devices and k, so the ratio of step times is the ratio of real-chip step times
        assertThat(equal.predictedStepSeconds() / balanced.predictedStepSeconds())
                .isCloseTo(balanced.predictedEta() / equal.predictedEta(), within(1e-9));
    }

    @Test
    void realDevicesAreNotPaced() {
        Result r = planner.plan(request(section10Cluster(), "balanced", false));

        assertThat(r.timeScale()).isNull();
        assertThat(r.devices()).allSatisfy(d -> assertThat(d.pacedStepSeconds()).isZero());
        double maxChipTime = r.devices().stream().mapToDouble(d -> d.batch() / d.chipSamplesPerSec()).max()
                .orElseThrow();
        assertThat(r.predictedStepSeconds()).isEqualTo(maxChipTime);
    }

    @Test
    void measuredSpeedsCapsAndAGivenTimeScaleWin() {
        List<DeviceInput> devices = List.of(
                new DeviceInput("a", "n1", "dc1", "no-such-chip", 30.0, 5, 0.0),
                new DeviceInput("b", "n2", "dc2", "T4", 10.0, null, 0.0));

        Result r = planner.plan(new Request(devices, DEMO, 8, null, false, 2.0, 1, true));

        assertThat(r.timeScale()).isEqualTo(2.0);
        assertThat(r.devices()).extracting(DevicePlan::chipSamplesPerSec).containsExactly(30.0, 10.0);
        assertThat(r.devices()).extracting(DevicePlan::batch).containsExactly(5, 3);   // a is capped at 5
        assertThat(r.devices().get(0).pacedStepSeconds()).isEqualTo(5 / 60.0);
        assertThat(r.predictedStepSeconds()).isEqualTo(3 / 20.0);
    }

    @Test
    void accumulationSplitsIntoMicroBatches() {
        List<DeviceInput> devices = List.of(
                new DeviceInput("fast", "n", "dc", "H100", 10.0, 2, 0.01),
                new DeviceInput("slow", "n", "dc", "T4", 1.0, 100, 0.01));

        Result without = planner.plan(new Request(devices, DEMO, 11, "balanced", false, null, 2, true));
        Result with = planner.plan(new Request(devices, DEMO, 11, "balanced", true, null, 2, true));

        assertThat(without.devices()).extracting(DevicePlan::batch).containsExactly(2, 9);
        assertThat(with.devices()).extracting(DevicePlan::batch).containsExactly(10, 1);
        assertThat(with.devices()).extracting(DevicePlan::microBatches).containsExactly(5, 1);
    }

    @Test
    void notEnoughMemoryIsInfeasibleWithTheReason() {
        List<DeviceInput> devices = List.of(
                new DeviceInput("a", "n", "dc2", "T4", null, 3, 0.01),
                new DeviceInput("b", "n", "dc1", "T4", null, 4, 0.01));

        Result r = planner.plan(new Request(devices, DEMO, 8, "balanced", false, null, 2, true));

        assertThat(r.feasible()).isFalse();
        assertThat(r.reason()).contains("sum to 7").contains("global batch of 8");
        assertThat(r.devices()).isEmpty();
        assertThat(r.datacenters()).containsExactly("dc1", "dc2");
        assertThat(r.timeScale()).isNull();
    }

    @Test
    void missingCpuCostCannotCalibrateEmulation() {
        List<DeviceInput> devices = List.of(new DeviceInput("a", "n", "dc", "T4", null, null, 0.0));

        Result r = planner.plan(new Request(devices, DEMO, 8, "balanced", false, null, 2, true));

        assertThat(r.feasible()).isFalse();
        assertThat(r.reason()).contains("cannot calibrate the emulation time scale");
    }

    @Test
    void malformedRequestsAreRejected() {
        List<DeviceInput> unknownChip = List.of(new DeviceInput("x", "n", "dc", "B200", null, null, 0.01));
        assertThatThrownBy(() -> planner.plan(request(unknownChip, "balanced", true)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("device x").hasMessageContaining("unknown chip 'B200'");
        assertThatThrownBy(() -> planner.plan(request(section10Cluster(), "greedy", true)))
                .hasMessageContaining("'greedy'");
        List<DeviceInput> twice = List.of(new DeviceInput("x", "n", "dc", "T4", null, null, 0.01),
                new DeviceInput("x", "n", "dc", "T4", null, null, 0.01));
        assertThatThrownBy(() -> planner.plan(request(twice, "balanced", true))).hasMessageContaining("twice");
    }

    @Test
    void tenThousandDevicePlanIsCompleteAndOptimal() {
        String[] chips = {"A100-80G", "H20", "Ascend-910B", "H100", "T4", "MI300X"};
        SplittableRandom random = new SplittableRandom(7);
        List<DeviceInput> devices = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            String chip = chips[random.nextInt(chips.length)];
            Double measured = random.nextBoolean() ? null : 100 + random.nextDouble() * 900;
            devices.add(new DeviceInput(String.format("dev-%05d", i), "node-" + i / 8, "dc-" + i % 7, chip, measured,
                    random.nextInt(0, 64), 0.001));
        }

        Result r = planner.plan(new Request(devices, DEMO, 250_000, "balanced", false, null, 8, true));

        assertThat(r.feasible()).isTrue();
        assertThat(r.devices()).hasSize(10_000);
        assertThat(r.datacenters()).containsExactly("dc-0", "dc-1", "dc-2", "dc-3", "dc-4", "dc-5", "dc-6");
        assertThat(r.devices().stream().mapToLong(DevicePlan::batch).sum()).isEqualTo(250_000);
        for (int i = 0; i < r.devices().size(); i++) {
            DevicePlan d = r.devices().get(i);
            assertThat(d.rank()).isEqualTo(i);
            if (i > 0) {
                DevicePlan prev = r.devices().get(i - 1);
                assertThat(prev.datacenter() + "/" + prev.deviceId())
                        .isLessThan(d.datacenter() + "/" + d.deviceId());
            }
        }
        // every device is paced to at most the step, and the step is reached by a device that could not give any
        // sample away without another device exceeding it (checked through the allocator's certificate)
        Map<String, DeviceInput> inputs = devices.stream()
                .collect(Collectors.toMap(DeviceInput::deviceId, Function.identity()));
        double kStep = r.predictedStepSeconds() * r.timeScale();
        double strictlyFaster = 0;
        for (DevicePlan d : r.devices()) {
            DeviceInput in = inputs.get(d.deviceId());
            assertThat(d.batch()).isBetween(0, in.maxMicroBatch());
            assertThat(d.pacedStepSeconds()).isLessThanOrEqualTo(r.predictedStepSeconds());
            long k = Math.min(in.maxMicroBatch(), (long) Math.floor(kStep * d.chipSamplesPerSec()) + 1);
            while (k > 0 && k / d.chipSamplesPerSec() >= kStep * (1 - 1e-12)) {
                k--;
            }
            strictlyFaster += k;
        }
        assertThat(strictlyFaster).isLessThan(250_000);
        assertThat(r.predictedEta()).isGreaterThan(r.predictedEqualSplitEta());
    }
}
