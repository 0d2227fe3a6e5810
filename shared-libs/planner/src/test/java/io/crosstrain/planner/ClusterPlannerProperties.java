package io.crosstrain.planner;

import static io.crosstrain.testsupport.RandomCases.between;
import static io.crosstrain.testsupport.RandomCases.oneOf;
import static org.assertj.core.api.Assertions.assertThat;
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
import io.crosstrain.testsupport.RandomCases;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Properties of {@link ClusterPlanner} on small random clusters (1–3 datacenters, 1–5 devices with measured speeds
 * and caps, G 1–30, random links, strategies and ratios) and on random placements, each against an independent
 * reading of the documented model.
 */
class ClusterPlannerProperties {

    private static final int CASES = 1_500;
    private static final String[] DCS = {"a", "b", "c"};

    private final ClusterPlanner planner = new ClusterPlanner(ChipCatalogue.defaults());

    record Case(List<Device> devices, List<Link> links, Job job) {
        Request request() {
            // every datacenter a link names is declared, also those without devices
            return new Request(List.of(new Datacenter("a"), new Datacenter("b"), new Datacenter("c")), links, devices,
                    job);
        }

        @Override
        public String toString() {
            return "devices=" + devices.stream().map(d -> d.id() + "@" + d.datacenter() + "(s=" + d.samplesPerSec()
                    + ",cap=" + d.maxMicroBatch() + ")").toList() + " links=" + links + " G=" + job.globalBatch()
                    + " accumulate=" + job.allowGradientAccumulation() + " strategy=" + job.strategy() + " codec="
                    + job.codecBytesPerParameter() + " ratio=" + job.targetCommRatio() + " P="
                    + job.model().parameters();
        }
    }

    static Case randomCase(SplittableRandom r) {
        int dcs = between(r, 1, 3);
        int n = between(r, 1, 5);
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double speed = r.nextBoolean() ? oneOf(r, 0.1, 0.2, 0.3, 0.6, 0.7, 1.0, 1.5, 3.0, 4.5, 7.0, 10.0)
                    : 0.1 + r.nextDouble() * 9.9;
            devices.add(new Device("d" + i, DCS[r.nextInt(dcs)], null, "H20", speed, between(r, 0, 12), null,
                    null));
        }
        List<Link> links = new ArrayList<>();
        if (r.nextInt(4) > 0) {
            for (int a = 0; a < dcs; a++) {
                for (int b = a + 1; b < dcs; b++) {
                    links.add(new Link(DCS[a], DCS[b], 0.01 + r.nextDouble() * 100, r.nextDouble() * 200));
                }
            }
        }
        long parameters = (long) Math.pow(10, 5 + 4 * r.nextDouble());
        ModelProfile model = new ModelProfile(parameters, 1e9, 1e6, 1e6, 1e6);
        Double codec = oneOf(r, null, 4.0, 2.0, 1.0, 0.5);
        Double ratio = r.nextBoolean() ? null : Math.pow(10, -3 + 3 * r.nextDouble());
        Job job = new Job(model, between(r, 1, 30), r.nextBoolean(), oneOf(r, "auto", "sync-dp", "diloco"), null,
                codec, ratio, null);
        return new Case(devices, links, job);
    }

    private static List<Case> edgeCases() {
        ModelProfile m = new ModelProfile(1_000_000, 1e9, 1e6, 1e6, 1e6);
        return List.of(
                new Case(List.of(new Device("x", "a", null, "H20", 1.0, 1, null, null)), List.of(),
                        new Job(m, 1, false, "auto")),
                new Case(List.of(new Device("x", "a", null, "H20", 1.0, 0, null, null),
                        new Device("y", "b", null, "H20", 3.0, 0, null, null)), List.of(),
                        new Job(m, 5, true, "diloco")),
                new Case(List.of(new Device("x", "a", null, "H20", 0.1, 12, null, null),
                        new Device("y", "b", null, "H20", 10.0, 1, null, null)),
                        List.of(new Link("a", "b", 0.01, 200)), new Job(m, 13, false, "diloco", null, 0.5, 0.001,
                                null)),
                // 4 GB over 10 Mbit/s: no H up to the cap meets the ratio
                new Case(List.of(new Device("x", "a", null, "H20", 1.0, 1, null, null),
                        new Device("y", "b", null, "H20", 1.0, 1, null, null)),
                        List.of(new Link("a", "b", 0.01, 0)),
                        new Job(new ModelProfile(1_000_000_000L, 1e9, 1e6, 1e6, 1e6), 2, false, "auto", null, null,
                                0.001, null)));
    }

    @Test
    void theAllocationIsTheBruteForceOptimum() {
        RandomCases.check(edgeCases(), CASES, ClusterPlannerProperties::randomCase, c -> {
            Result r = planner.plan(c.request());
            int g = c.job().globalBatch();
            boolean accumulate = c.job().allowGradientAccumulation();
            long capSum = c.devices().stream().mapToLong(Device::maxMicroBatch).sum();
            boolean anyRoom = c.devices().stream().anyMatch(d -> d.maxMicroBatch() > 0);

            assertThat(r.feasible()).as(r.reason()).isEqualTo(accumulate ? anyRoom : capSum >= g);
            if (!r.feasible()) {
                return;
            }
            double[] speeds = c.devices().stream().mapToDouble(Device::samplesPerSec).toArray();
            int[] limits = c.devices().stream().mapToInt(d -> accumulate
                    ? (d.maxMicroBatch() > 0 ? g : 0) : Math.min(d.maxMicroBatch(), g)).toArray();
            double optimum = BatchAllocatorProperties.bruteForce(speeds, limits, g);

            double makespan = r.devices().stream().filter(d -> d.batch() > 0)
                    .mapToDouble(d -> d.batch() / d.samplesPerSec()).max().orElseThrow();
            assertThat(r.predicted().computeSeconds()).isEqualTo(makespan);
            assertThat(makespan).isCloseTo(optimum, within(1e-12 * optimum));
        });
    }

    @Test
    void noPlanExceedsACapOrLosesASample() {
        RandomCases.check(edgeCases(), CASES, ClusterPlannerProperties::randomCase, c -> {
            Result r = planner.plan(c.request());
            if (!r.feasible()) {
                return;
            }
            Map<String, Device> byId = c.devices().stream().collect(Collectors.toMap(Device::id, d -> d));
            int g = c.job().globalBatch();
            assertThat(r.devices().stream().mapToInt(DevicePlan::batch).sum()).isEqualTo(g);
            Map<String, Integer> perDc = new HashMap<>();
            for (DevicePlan d : r.devices()) {
                int cap = byId.get(d.id()).maxMicroBatch();
                assertThat(d.maxMicroBatch()).isEqualTo(cap);
                assertThat(d.datacenter()).isEqualTo(byId.get(d.id()).datacenter());
                if (d.batch() == 0) {
                    assertThat(d.microBatches()).isZero();
                } else if (c.job().allowGradientAccumulation()) {
                    assertThat((long) d.microBatches() * cap).isGreaterThanOrEqualTo(d.batch());
                    assertThat((long) (d.microBatches() - 1) * cap).isLessThan(d.batch());
                } else {
                    assertThat(d.batch()).isLessThanOrEqualTo(cap);
                    assertThat(d.microBatches()).isEqualTo(1);
                }
                perDc.merge(d.datacenter(), d.batch(), Integer::sum);
            }
            // DC-group sizes are the per-datacenter sums and add up to G
            assertThat(r.datacenters().stream().mapToInt(DatacenterPlan::batch).sum()).isEqualTo(g);
            for (DatacenterPlan dc : r.datacenters()) {
                assertThat(dc.batch()).isEqualTo(perDc.getOrDefault(dc.id(), 0));
                assertThat(dc.computeSeconds()).isLessThanOrEqualTo(r.predicted().computeSeconds());
            }
        });
    }

    @Test
    void theStrategyAndHFollowTheRatio() {
        RandomCases.check(edgeCases(), CASES, ClusterPlannerProperties::randomCase, c -> {
            Result r = planner.plan(c.request());
            if (!r.feasible()) {
                return;
            }
            Prediction p = r.predicted();
            double ratio = c.job().targetCommRatio() == null ? 0.1 : c.job().targetCommRatio();
            double compute = p.computeSeconds();
            double wan = p.wanSecondsPerRound();
            long participants = r.datacenters().stream().filter(d -> d.batch() > 0).count();
            double p4 = 4.0 * c.job().model().parameters();

            // independent reading of the WAN: the slowest link among participating datacenters
            Set<String> active = r.datacenters().stream().filter(d -> d.batch() > 0).map(DatacenterPlan::id)
                    .collect(Collectors.toCollection(TreeSet::new));
            double bytes = p.strategy().equals("sync-dp") ? p4
                    : (c.job().codecBytesPerParameter() == null ? 4.0 : c.job().codecBytesPerParameter())
                            * c.job().model().parameters();
            double expectedWan = 0;
            if (participants > 1) {
                for (Link l : c.links()) {
                    if (active.contains(l.from()) && active.contains(l.to())) {
                        expectedWan = Math.max(expectedWan, bytes * 8 / (l.gbps() * 1e9) + l.latencyMs() / 1000);
                    }
                }
            }
            assertThat(wan).isCloseTo(expectedWan, within(1e-12 * Math.max(1, expectedWan)));
            assertThat(p.wanBytesPerRound()).isEqualTo(participants > 1 ? bytes : 0.0);
            assertThat(p.wanBytesPerStep()).isEqualTo(p.wanBytesPerRound() / p.h());

            // a WAN no link describes is unknown: auto does not take it for free
            boolean unknownWan = participants > 1 && c.links().isEmpty();
            if (c.job().strategy().equals("auto")) {
                boolean cheap = participants <= 1 || (!unknownWan && p.syncDpWanSeconds() <= ratio * 1 * compute);
                assertThat(p.strategy()).isEqualTo(cheap ? "sync-dp" : "diloco");
            } else {
                assertThat(p.strategy()).isEqualTo(c.job().strategy());
            }
            if (p.strategy().equals("sync-dp")) {
                assertThat(p.h()).isEqualTo(1);
            } else if (unknownWan && c.job().h() == null) {
                assertThat(p.h()).isEqualTo(ClusterPlanner.DEFAULT_H);
            } else {
                assertThat(p.h()).isBetween(1, ClusterPlanner.MAX_H);
                if (p.h() < ClusterPlanner.MAX_H) {
                    assertThat(wan <= ratio * p.h() * compute).as("H=%d satisfies the ratio", p.h()).isTrue();
                }
                if (p.h() > 1) {
                    assertThat(wan <= ratio * (p.h() - 1) * compute).as("H-1=%d fails the ratio", p.h() - 1)
                            .isFalse();
                }
            }
            assertThat(p.eta()).isPositive().isLessThanOrEqualTo(1 + 1e-12);
            // not ≤ η in general: with G below the device count the balanced split may wake a second
            // datacenter (and the WAN) that the equal split leaves asleep
            assertThat(p.equalSplitEta()).isBetween(0.0, 1 + 1e-12);
        });
    }

    record PlacementCase(List<Device> devices, Placement placement, int globalBatch) {
    }

    private static final String[] CHIPS = {"A100-80G", "H20", "Ascend-910B", "L40S"};

    static PlacementCase randomPlacement(SplittableRandom r) {
        int n = between(r, 1, 12);
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, String> labels = new LinkedHashMap<>();
            if (r.nextBoolean()) {
                labels.put("zone", oneOf(r, "east", "west"));
            }
            if (r.nextBoolean()) {
                labels.put("rack", oneOf(r, "1", "2"));
            }
            Double memory = r.nextBoolean() ? null : (double) oneOf(r, 16, 40, 64, 80, 96);
            double speed = oneOf(r, 1.0, 2.0, 3.0);
            devices.add(new Device(String.format(Locale.ROOT, "dev-%02d", r.nextInt(100)) + "-" + i,
                    oneOf(r, DCS), null, oneOf(r, CHIPS), speed, between(r, 0, 3), memory, labels));
        }
        List<String> dcs = r.nextBoolean() ? null : List.of(oneOf(r, DCS), oneOf(r, DCS));
        List<String> chips = r.nextBoolean() ? null
                : List.of(oneOf(r, CHIPS).toLowerCase(Locale.ROOT), oneOf(r, CHIPS));
        Map<String, String> labels = r.nextBoolean() ? null : Map.of("zone", oneOf(r, "east", "west"));
        Double minMemory = r.nextBoolean() ? null : (double) oneOf(r, 40, 64, 80);
        Integer min = r.nextBoolean() ? null : between(r, 1, 6);
        Integer max = r.nextBoolean() ? null : between(r, min == null ? 1 : min, 8);
        return new PlacementCase(devices, new Placement(dcs, chips, labels, minMemory, min, max), between(r, 1, 10));
    }

    @Test
    void placementNeverPicksADeviceThatViolatesAConstraintNorTooMany() {
        ChipCatalogue catalogue = ChipCatalogue.defaults();
        RandomCases.check(List.of(), CASES, ClusterPlannerProperties::randomPlacement, c -> {
            Placement pl = c.placement();
            ModelProfile m = new ModelProfile(1000, 1e9, 1e6, 1e6, 1e6);
            Result r = planner.plan(new Request(null, null, c.devices(),
                    new Job(m, c.globalBatch(), true, "auto", null, null, null, pl)));

            List<Device> eligible = c.devices().stream().filter(d -> allowed(d, pl, catalogue)).toList();
            int min = pl.minDevices() == null ? 1 : pl.minDevices();
            int expected = pl.maxDevices() == null ? eligible.size() : Math.min(eligible.size(), pl.maxDevices());
            assertThat(r.feasible()).as(r.reason()).isEqualTo(eligible.size() >= min);
            if (!r.feasible()) {
                assertThat(r.reason()).startsWith("needs at least " + min + " device")
                        .contains(eligible.size() + " of " + c.devices().size() + " remain");
                return;
            }
            assertThat(r.devices()).hasSize(expected);
            Map<String, Device> byId = c.devices().stream().collect(Collectors.toMap(Device::id, d -> d));
            Set<String> chosen = r.devices().stream().map(DevicePlan::id).collect(Collectors.toSet());
            for (String id : chosen) {
                assertThat(allowed(byId.get(id), pl, catalogue)).as("device %s is allowed", id).isTrue();
            }
            // the ones left out for maxDevices are no faster than any chosen one (ties: a larger id)
            for (Device d : eligible) {
                if (chosen.contains(d.id())) {
                    continue;
                }
                for (DevicePlan kept : r.devices()) {
                    boolean keptFirst = kept.samplesPerSec() > d.samplesPerSec()
                            || kept.samplesPerSec() == d.samplesPerSec() && kept.id().compareTo(d.id()) < 0;
                    assertThat(keptFirst).as("%s kept before %s", kept.id(), d.id()).isTrue();
                }
            }
        });
    }

    private static boolean allowed(Device d, Placement p, ChipCatalogue catalogue) {
        if (d.maxMicroBatch() == 0) {
            return false;
        }
        if (p.datacenters() != null && !p.datacenters().isEmpty() && !p.datacenters().contains(d.datacenter())) {
            return false;
        }
        if (p.chips() != null && !p.chips().isEmpty()
                && p.chips().stream().noneMatch(c -> c.equalsIgnoreCase(d.chip()))) {
            return false;
        }
        if (p.labels() != null) {
            for (Map.Entry<String, String> e : p.labels().entrySet()) {
                if (!e.getValue().equals(d.labels().get(e.getKey()))) {
                    return false;
                }
            }
        }
        double memory = d.memoryGb() != null ? d.memoryGb() : catalogue.get(d.chip()).memoryGb();
        return p.minMemoryGb() == null || memory >= p.minMemoryGb();
    }
}
