package io.crosstrain.bench.hybrid;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.planner.ClusterPlanner;
import io.crosstrain.planner.ClusterPlanner.Datacenter;
import io.crosstrain.planner.ClusterPlanner.Device;
import io.crosstrain.planner.ClusterPlanner.Job;
import io.crosstrain.planner.ClusterPlanner.Link;
import io.crosstrain.planner.ClusterPlanner.Request;
import io.crosstrain.planner.LayerModel;

/**
 * Part (c) of the hybrid bench: a request of {@code datacenters × perDatacenter} devices, one chip per datacenter,
 * eight to a node, a WAN link between every pair of datacenters (seeded bandwidth 1–10 Gbit/s and latency
 * 10–60 ms), and a job with its blocks ({@link Job#layers}) so every datacenter gets a pipeline layout.
 */
public final class LargeCluster {

    /** The datacenters' chips, in order. */
    public static final List<String> CHIPS = List.of("A100-80G", "H20", "Ascend-910B", "H100", "H800", "MI300X",
            "L40S", "A100-40G");

    private LargeCluster() {
    }

    public static String dcId(int d, String chip) {
        return "dc" + d + "-" + chip.toLowerCase(Locale.ROOT);
    }

    public static Request request(int datacenters, int perDatacenter, ModelSpec spec, int globalBatch, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        LayerModel layers = LayerModel.of(spec, spec.vocabSize());
        List<Datacenter> dcs = new ArrayList<>();
        for (int d = 0; d < datacenters; d++) {
            dcs.add(new Datacenter(dcId(d, chip(d))));
        }
        List<Link> links = new ArrayList<>();
        for (int a = 0; a < datacenters; a++) {
            for (int b = a + 1; b < datacenters; b++) {
                links.add(new Link(dcId(a, chip(a)), dcId(b, chip(b)), 1 + 9 * random.nextDouble(),
                        10 + 50 * random.nextDouble()));
            }
        }
        List<Device> devices = new ArrayList<>();
        for (int d = 0; d < datacenters; d++) {
            String dc = dcId(d, chip(d));
            for (int i = 0; i < perDatacenter; i++) {
                devices.add(new Device(String.format(Locale.ROOT, "%s-%04d", dc, i), dc,
                        dc + "-node-" + (i / 8), chip(d), null, null, null, null));
            }
        }
        Job job = new Job(null, layers, globalBatch, true, "auto", null, null, null, null, null, null, null);
        return new Request(dcs, links, devices, job);
    }

    static String chip(int d) {
        return CHIPS.get(d % CHIPS.size());
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** Planning times: the first (cold) plan, then {@code runs} timed after {@code warmup} untimed ones. */
    public record Timing(ClusterPlanner.Result result, double coldSeconds, double[] runSeconds) {
        public double medianSeconds() {
            return median(runSeconds);
        }
    }

    public static Timing time(ClusterPlanner planner, Request request, int warmup, int runs) {
        long t0 = System.nanoTime();
        ClusterPlanner.Result first = planner.plan(request);
        double cold = (System.nanoTime() - t0) / 1e9;
        for (int i = 0; i < warmup; i++) {
            planner.plan(request);
        }
        double[] times = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t = System.nanoTime();
            ClusterPlanner.Result again = planner.plan(request);
            times[i] = (System.nanoTime() - t) / 1e9;
            if (first.feasible() && !again.predicted().equals(first.predicted())) {
                throw new IllegalStateException("planning the same request twice gave different predictions");
            }
        }
        return new Timing(first, cold, times);
    }
}
