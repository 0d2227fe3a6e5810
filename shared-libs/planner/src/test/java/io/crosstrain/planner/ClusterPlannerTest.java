package io.crosstrain.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.crosstrain.contracts.Placement;
import io.crosstrain.planner.ClusterPlanner.Datacenter;
import io.crosstrain.planner.ClusterPlanner.DatacenterPlan;
import io.crosstrain.planner.ClusterPlanner.Device;
import io.crosstrain.planner.ClusterPlanner.DevicePlan;
import io.crosstrain.planner.ClusterPlanner.Job;
import io.crosstrain.planner.ClusterPlanner.Link;
import io.crosstrain.planner.ClusterPlanner.Prediction;
import io.crosstrain.planner.ClusterPlanner.Request;
import io.crosstrain.planner.ClusterPlanner.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterPlannerTest {

    /** A million parameters: the fp32 gradient is 4 MB, 32 Mbit. */
    private static final ModelProfile MILLION = new ModelProfile(1_000_000, 1e9, 1e6, 1e6, 1e6);

    private final ClusterPlanner planner = new ClusterPlanner(ChipCatalogue.defaults());

    private static Device measured(String id, String dc, double speed, int cap) {
        return new Device(id, dc, null, "A100-80G", speed, cap, null, null);
    }

    private static Request request(List<Device> devices, List<Link> links, Job job) {
        return new Request(null, links, devices, job);
    }

    private static Job job(int g, String strategy, Integer h, Double codec, Double ratio) {
        return new Job(MILLION, g, false, strategy, h, codec, ratio, null);
    }

    /** Two datacenters, one device of 10 samples/s each, 1 Gbit/s and 10 ms apart: compute 1 s for G = 20. */
    private static List<Device> twoSingles() {
        return List.of(measured("a0", "a", 10, 100), measured("b0", "b", 10, 100));
    }

    private static final List<Link> ONE_GBIT = List.of(new Link("a", "b", 1, 10));

    @Test
    void theSection1ClusterGoesDiLoCoWithBalancedGroups() {
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            devices.add(new Device("bj-" + i, "bj", "A100-80G"));
            devices.add(new Device("sh-" + i, "sh", "H20"));
            devices.add(new Device("gy-" + i, "gy", "Ascend-910B"));
        }
        List<Link> links = List.of(new Link("bj", "sh", 10, 30), new Link("bj", "gy", 1, 40),
                new Link("sh", "gy", 5, 35));
        ModelProfile billion = ModelProfile.ofParameters(1000, 2048);
        Result r = planner.plan(request(devices, links, new Job(billion, 512, true, "auto")));

        assertThat(r.feasible()).as(r.reason()).isTrue();
        Prediction p = r.predicted();
        // the fp32 gradient (4 GB) over the 1 Gbit/s link takes 32 s against a compute step of a few seconds
        assertThat(p.syncDpWanSeconds()).isCloseTo(32.04, within(1e-9));
        assertThat(p.strategy()).isEqualTo("diloco");
        assertThat(p.wanSecondsPerRound()).isEqualTo(p.syncDpWanSeconds());
        assertThat(p.wanSecondsPerRound()).isLessThanOrEqualTo(0.1 * p.h() * p.computeSeconds());
        assertThat(p.wanSecondsPerRound()).isGreaterThan(0.1 * (p.h() - 1) * p.computeSeconds());
        assertThat(p.wanBytesPerStep()).isCloseTo(4e9 / p.h(), within(1e-3));
        // compute alone is balanced to within a few per cent; the 4 GB intra-DC all-reduce and the WAN share cost
        // the rest of η
        double speedSum = r.devices().stream().mapToDouble(DevicePlan::samplesPerSec).sum();
        assertThat(512 / p.computeSeconds() / speedSum).isGreaterThan(0.97);
        double inner = r.datacenters().stream().mapToDouble(d -> d.computeSeconds() + d.intraSyncSeconds()).max()
                .orElseThrow();
        assertThat(p.stepSeconds()).isCloseTo(inner + p.wanSecondsPerRound() / p.h(), within(1e-12));
        assertThat(p.eta()).isCloseTo(512 / p.stepSeconds() / speedSum, within(1e-12));
        assertThat(p.eta()).isGreaterThan(0.7).isGreaterThan(p.equalSplitEta());
        assertThat(p.equalSplitEta()).isBetween(0.4, 0.6);

        assertThat(r.datacenters()).extracting(DatacenterPlan::id).containsExactly("bj", "gy", "sh");
        assertThat(r.datacenters().stream().mapToInt(DatacenterPlan::batch).sum()).isEqualTo(512);
        double slowest = r.devices().stream().mapToDouble(DevicePlan::samplesPerSec).min().orElseThrow();
        for (DatacenterPlan dc : r.datacenters()) {
            assertThat(dc.devices()).isEqualTo(8);
            // every group finishes within one sample of the slowest device of the common step
            assertThat(dc.computeSeconds()).isBetween(p.computeSeconds() - 1 / slowest, p.computeSeconds());
        }
        // the H20s are about half as fast as the others, so their group is about half as big
        int bj = r.datacenters().get(0).batch();
        int sh = r.datacenters().get(2).batch();
        assertThat((double) sh / bj).isCloseTo(148.0 / 312.0, within(0.05));
        assertThat(r.devices()).allSatisfy(d -> {
            assertThat(d.microBatches()).isEqualTo((d.batch() + d.maxMicroBatch() - 1) / d.maxMicroBatch());
            assertThat(d.measured()).isFalse();
        });
        assertThat(r.assumptions()).anyMatch(a -> a.contains("bj–gy at 1 Gbit/s and 40 ms"));
    }

    @Test
    void oneDatacenterIsSyncDpWithoutWan() {
        Result r = planner.plan(request(List.of(measured("a0", "a", 10, 100), measured("a1", "a", 30, 100)), null,
                job(40, "auto", null, null, null)));

        Prediction p = r.predicted();
        assertThat(p.strategy()).isEqualTo("sync-dp");
        assertThat(p.h()).isEqualTo(1);
        assertThat(p.wanBytesPerStep()).isZero();
        assertThat(p.wanSecondsPerRound()).isZero();
        assertThat(r.devices()).extracting(DevicePlan::batch).containsExactly(10, 30);
        // ring all-reduce of 4 MB between 2 devices at 100 Gbit/s: 2·(1/2)·32e6 bit / 1e11 bit/s
        double sync = 32e6 / 1e11;
        assertThat(p.intraSyncSeconds()).isCloseTo(sync, within(1e-15));
        assertThat(p.stepSeconds()).isCloseTo(1.0 + sync, within(1e-12));
        assertThat(p.eta()).isCloseTo(40 / (1.0 + sync) / 40, within(1e-12));
        // equal split 20/20 waits 2 s for the slow device
        assertThat(p.equalSplitEta()).isCloseTo(40 / (2.0 + sync) / 40, within(1e-12));
        assertThat(r.assumptions()).contains("one datacenter holds samples: no WAN exchange");
    }

    @Test
    void aDatacenterMayGiveItsOwnIntraBandwidth() {
        List<Device> four = List.of(measured("a0", "a", 10, 100), measured("a1", "a", 10, 100),
                measured("a2", "a", 10, 100), measured("a3", "a", 10, 100));
        Result r = planner.plan(new Request(List.of(new Datacenter("a", 10.0)), null, four,
                job(40, "auto", null, null, null)));

        // 2·(3/4)·32e6 bit at 10 Gbit/s
        assertThat(r.predicted().intraSyncSeconds()).isCloseTo(1.5 * 32e6 / 1e10, within(1e-15));
        assertThat(r.datacenters().get(0).intraSyncSeconds()).isEqualTo(r.predicted().intraSyncSeconds());
    }

    @Test
    void syncDpSendsTheFp32GradientEveryStepOverTheSlowestLink() {
        Result r = planner.plan(request(twoSingles(), ONE_GBIT, job(20, "sync-dp", null, null, null)));

        Prediction p = r.predicted();
        assertThat(p.strategy()).isEqualTo("sync-dp");
        assertThat(p.h()).isEqualTo(1);
        assertThat(p.wanBytesPerStep()).isEqualTo(4e6);
        assertThat(p.wanSecondsPerRound()).isCloseTo(0.032 + 0.010, within(1e-15));
        assertThat(p.stepSeconds()).isCloseTo(1.042, within(1e-12));
        assertThat(p.samplesPerSec()).isCloseTo(20 / 1.042, within(1e-9));
        assertThat(p.eta()).isCloseTo(20 / 1.042 / 20, within(1e-12));
        assertThat(r.datacenters()).extracting(DatacenterPlan::batch).containsExactly(10, 10);
    }

    @Test
    void autoKeepsSyncDpWhileTheWanIsCheapAndSwitchesWhenItIsNot() {
        // 0.042 s of WAN per 1 s step: within 10 %
        assertThat(planner.plan(request(twoSingles(), ONE_GBIT, job(20, "auto", null, null, null)))
                .predicted().strategy()).isEqualTo("sync-dp");
        // but not within 1 %
        Prediction p = planner.plan(request(twoSingles(), ONE_GBIT, job(20, "auto", null, null, 0.01))).predicted();
        assertThat(p.strategy()).isEqualTo("diloco");
        // fp32 pseudo-gradients take as long as the gradient: 0.042 s ≤ 0.01 · 5 · 1 s, not 0.01 · 4
        assertThat(p.h()).isEqualTo(5);
        assertThat(p.stepSeconds()).isCloseTo(1.0 + 0.042 / 5, within(1e-12));
    }

    @Test
    void diLoCoWithInt8SendsAQuarterAndNeedsAShorterH() {
        Prediction p = planner.plan(request(twoSingles(), ONE_GBIT, job(20, "diloco", null, 1.0, 0.01)))
                .predicted();

        // 1 MB = 8 Mbit at 1 Gbit/s plus 10 ms = 18 ms ≤ 0.01 · 2 · 1 s
        assertThat(p.wanBytesPerRound()).isEqualTo(1e6);
        assertThat(p.wanSecondsPerRound()).isCloseTo(0.018, within(1e-15));
        assertThat(p.h()).isEqualTo(2);
        assertThat(p.wanBytesPerStep()).isEqualTo(5e5);
    }

    @Test
    void aFixedHIsKept() {
        Prediction p = planner.plan(request(twoSingles(), ONE_GBIT, job(20, "diloco", 50, 0.5, null))).predicted();

        assertThat(p.h()).isEqualTo(50);
        assertThat(p.wanBytesPerStep()).isEqualTo(5e5 / 50);
        assertThat(p.equalSplitEta()).isEqualTo(p.eta());
    }

    @Test
    void withoutLinksTheWanIsAssumedFreeAndSaidSo() {
        Result r = planner.plan(request(twoSingles(), List.of(), job(20, "sync-dp", null, null, null)));

        assertThat(r.feasible()).isTrue();
        assertThat(r.predicted().wanSecondsPerRound()).isZero();
        assertThat(r.predicted().wanBytesPerStep()).isEqualTo(4e6);
        assertThat(r.assumptions()).contains("no WAN links were given: WAN time assumed 0");
    }

    @Test
    void aMissingLinkBetweenParticipatingDatacentersIsInfeasible() {
        List<Device> three = List.of(measured("a0", "a", 10, 100), measured("b0", "b", 10, 100),
                measured("c0", "c", 10, 100));
        Result r = planner.plan(request(three, List.of(new Link("a", "b", 1, 1), new Link("c", "b", 1, 1)),
                job(30, "auto", null, null, null)));

        assertThat(r.feasible()).isFalse();
        assertThat(r.reason()).startsWith("no WAN link between a and c");
        assertThat(r.predicted()).isNull();
        assertThat(r.devices()).isEmpty();
    }

    @Test
    void theReasonCountsWhatEachPlacementConstraintExcluded() {
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            devices.add(new Device("sh-" + i, "sh", "H20"));
        }
        for (int i = 0; i < 3; i++) {
            devices.add(new Device("bj-a100-" + i, "bj", "A100-80G"));
        }
        for (int i = 0; i < 2; i++) {
            devices.add(new Device("bj-small-" + i, "bj", null, "H20", null, null, 64.0, null));
        }
        for (int i = 0; i < 3; i++) {
            devices.add(new Device("bj-h20-" + i, "bj", "H20"));
        }
        Placement placement = new Placement(List.of("bj"), List.of("H20"), Map.of(), 80.0, 8, null);
        Result r = planner.plan(request(devices, null,
                new Job(MILLION, 16, true, "auto", null, null, null, placement)));

        assertThat(r.feasible()).isFalse();
        assertThat(r.reason()).isEqualTo("needs at least 8 devices, 3 of 12 remain: 4 excluded by datacenters [bj], "
                + "3 by chips [H20], 2 by minMemoryGb 80");
    }

    @Test
    void placementHonoursLabelsAndChipNamesIgnoringCase() {
        List<Device> devices = List.of(
                new Device("x", "a", null, "h20", 5.0, 10, null, Map.of("zone", "east")),
                new Device("y", "a", null, "H20", 5.0, 10, null, Map.of("zone", "west")),
                new Device("z", "a", null, "A100-80G", 5.0, 10, null, Map.of("zone", "east")));
        Placement placement = new Placement(null, List.of("H20"), Map.of("zone", "east"), null, null, null);
        Result r = planner.plan(request(devices, null,
                new Job(MILLION, 4, false, "auto", null, null, null, placement)));

        assertThat(r.devices()).extracting(DevicePlan::id).containsExactly("x");
        assertThat(r.assumptions()).anyMatch(a -> a.startsWith("placement chose 1 of 3 devices "
                + "(1 excluded by chips [H20], 1 by labels {zone=east})"));
    }

    @Test
    void maxDevicesKeepsTheFastestWithTiesBrokenById() {
        List<Device> devices = List.of(measured("d", "a", 5, 10), measured("c", "a", 10, 10),
                measured("b", "a", 10, 10), measured("a", "a", 7, 10));
        Placement two = new Placement(null, null, null, null, null, 2);
        Placement three = new Placement(null, null, null, null, 2, 3);

        assertThat(planner.plan(request(devices, null, new Job(MILLION, 4, false, "auto", null, null, null, two)))
                .devices()).extracting(DevicePlan::id).containsExactly("b", "c");
        assertThat(planner.plan(request(devices, null, new Job(MILLION, 4, false, "auto", null, null, null, three)))
                .devices()).extracting(DevicePlan::id).containsExactly("a", "b", "c");
    }

    @Test
    void withoutAccumulationTheCapsMustHoldTheBatch() {
        List<Device> devices = List.of(measured("a0", "a", 10, 3), measured("b0", "b", 10, 4));

        Result off = planner.plan(request(devices, null, job(8, "auto", null, null, null)));
        assertThat(off.feasible()).isFalse();
        assertThat(off.reason()).contains("sum to 7 samples, less than the global batch of 8");

        Result on = planner.plan(request(devices, null, new Job(MILLION, 8, true, "auto")));
        assertThat(on.feasible()).isTrue();
        assertThat(on.devices()).extracting(DevicePlan::batch).containsExactly(4, 4);
        assertThat(on.devices()).extracting(DevicePlan::microBatches).containsExactly(2, 1);
    }

    @Test
    void devicesTheModelDoesNotFitAreLeftOut() {
        List<Device> devices = List.of(measured("a0", "a", 10, 0), measured("a1", "a", 10, 5));
        Result r = planner.plan(request(devices, null, job(5, "auto", null, null, null)));

        assertThat(r.devices()).extracting(DevicePlan::id).containsExactly("a1");
        assertThat(r.assumptions())
                .anyMatch(a -> a.contains("1 excluded because the model leaves no room for a sample"));

        Result none = planner.plan(request(List.of(measured("a0", "a", 10, 0)), null, job(5, "auto", null, null,
                null)));
        assertThat(none.reason()).isEqualTo("needs at least 1 device, 0 of 1 remain: 1 excluded because the model "
                + "leaves no room for a sample in their memory");
    }

    @Test
    void malformedRequestsAreRejected() {
        assertThatThrownBy(() -> planner.plan(request(List.of(new Device("x", "a", "no-such-chip")), null,
                job(1, "auto", null, null, null))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("device x")
                .hasMessageContaining("no-such-chip");
        assertThatThrownBy(() -> planner.plan(request(twoSingles(), null, job(2, "ring", null, null, null))))
                .hasMessageContaining("strategy");
        assertThatThrownBy(() -> planner.plan(new Request(List.of(new Datacenter("a")), null, twoSingles(),
                job(2, "auto", null, null, null)))).hasMessageContaining("unknown datacenter b");
        assertThatThrownBy(() -> planner.plan(request(twoSingles(), List.of(new Link("a", "b", 1, 1),
                new Link("b", "a", 2, 1)), job(2, "auto", null, null, null)))).hasMessageContaining("twice");
        assertThatThrownBy(() -> planner.plan(request(List.of(measured("x", "a", 1, 1), measured("x", "a", 1, 1)),
                null, job(2, "auto", null, null, null)))).hasMessageContaining("twice");
        assertThatThrownBy(() -> planner.plan(request(twoSingles(), null, job(2, "diloco", 0, null, null))))
                .hasMessageContaining("h must be");
    }

    @Test
    void anHThatCannotMeetTheRatioIsCappedAndSaidSo() {
        // 4 MB over 1 Mbit/s is 32 s per round against a 1 s step: 1 % would need H = 3,200
        Result r = planner.plan(request(twoSingles(), List.of(new Link("a", "b", 0.001, 0)),
                job(20, "diloco", null, null, 0.01)));

        assertThat(r.predicted().h()).isEqualTo(ClusterPlanner.MAX_H);
        assertThat(r.assumptions()).anyMatch(a -> a.equals("H is capped at 1000: the WAN still takes 3.2 % of "
                + "compute time, above the target 1.0 %"));
    }

    @Test
    void chooseHIsTheSmallestHWithinTheRatio() {
        assertThat(ClusterPlanner.chooseH(0, 0.1, 1)).isEqualTo(1);
        assertThat(ClusterPlanner.chooseH(0.1, 0.1, 1)).isEqualTo(1);
        assertThat(ClusterPlanner.chooseH(0.3, 0.1, 1)).isEqualTo(3);
        assertThat(ClusterPlanner.chooseH(0.30001, 0.1, 1)).isEqualTo(4);
        assertThat(ClusterPlanner.chooseH(1e9, 0.1, 1)).isEqualTo(ClusterPlanner.MAX_H);
    }
}
