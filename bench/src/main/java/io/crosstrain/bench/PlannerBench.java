package io.crosstrain.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ChipSpec;
import io.crosstrain.planner.ClusterPlanner;
import io.crosstrain.planner.ClusterPlanner.Datacenter;
import io.crosstrain.planner.ClusterPlanner.Device;
import io.crosstrain.planner.ClusterPlanner.Job;
import io.crosstrain.planner.ClusterPlanner.Link;
import io.crosstrain.planner.ClusterPlanner.Request;
import io.crosstrain.planner.ClusterPlanner.Result;
import io.crosstrain.planner.CostModel;
import io.crosstrain.planner.ModelProfile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;

/**
 * Planning time of {@link ClusterPlanner} for a large heterogeneous cluster: every catalogue chip, spread over the
 * datacenters, a full mesh of WAN links with seeded random bandwidths and latencies. The first plan in the JVM is
 * reported as cold (class loading, interpreter), then, after a few untimed plans for the JIT, the median of the
 * timed ones as warm.
 */
@Command(name = "planner", description = "planning time of the cross-datacenter planner for a large cluster")
public final class PlannerBench implements Callable<Integer> {

    @Option(names = "--devices", defaultValue = "10000")
    int devices;

    @Option(names = "--datacenters", defaultValue = "8")
    int datacenters;

    @Option(names = "--warmup", defaultValue = "5",
            description = "plans after the cold one that only let the JIT compile the planner; not reported")
    int warmup;

    @Option(names = "--runs", defaultValue = "5", description = "timed warm plans; the median counts")
    int runs;

    @Option(names = "--parameters-m", defaultValue = "350",
            description = "model size in millions of parameters (350: fits even a 16 GB T4)")
    double parametersM;

    @Option(names = "--tokens", defaultValue = "2048", description = "tokens per sample")
    int tokens;

    @Option(names = "--global-batch", defaultValue = "262144",
            description = "about 26 samples per device, so compute outweighs the intra-datacenter all-reduce")
    int globalBatch;

    @Option(names = "--seed", defaultValue = "7", description = "seed of the WAN links and measured speeds")
    long seed;

    @Option(names = "--out", defaultValue = "${sys:crosstrain.home:-.}/target/bench/planner.json")
    Path out;

    public PlannerBench() {
    }

    @Override
    public Integer call() throws Exception {
        if (devices < 1 || datacenters < 1 || runs < 1 || warmup < 0) {
            throw new IllegalArgumentException("--devices, --datacenters and --runs must be at least 1, --warmup "
                    + "at least 0");
        }
        List<ChipSpec> chips = ChipCatalogue.defaults().all();
        Request request = cluster(chips);
        ClusterPlanner planner = new ClusterPlanner(ChipCatalogue.defaults());

        long t0 = System.nanoTime();
        Result first = planner.plan(request);
        double cold = (System.nanoTime() - t0) / 1e9;
        if (!first.feasible()) {
            throw new IllegalStateException("the bench cluster cannot be planned: " + first.reason());
        }
        for (int i = 0; i < warmup; i++) {
            planner.plan(request);
        }
        double[] warm = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t = System.nanoTime();
            Result again = planner.plan(request);
            warm[i] = (System.nanoTime() - t) / 1e9;
            if (!again.predicted().equals(first.predicted())) {
                throw new IllegalStateException("planning the same request twice gave different predictions");
            }
        }
        double median = median(warm);
        ClusterPlanner.Prediction p = first.predicted();
        int cores = Runtime.getRuntime().availableProcessors();

        System.out.println("cross-datacenter planning time (measured on this CPU, " + cores + " cores; the plan's "
                + "figures are model predictions)");
        System.out.println(String.format(Locale.ROOT, "  model %.0f M parameters, %d tokens per sample, G %d, "
                + "%d chip kinds, gradient accumulation on", parametersM, tokens, globalBatch, chips.size()));
        System.out.println(String.format(Locale.ROOT, "  %8s %6s %10s %14s %9s %5s %7s %9s", "devices", "DCs",
                "cold s", "warm s (med)", "strategy", "H", "eta", "eq. eta"));
        System.out.println(String.format(Locale.ROOT, "  %8d %6d %10.4f %14.4f %9s %5d %7.3f %9.3f", devices,
                datacenters, cold, median, p.strategy(), p.h(), p.eta(), p.equalSplitEta()));

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("devices", devices);
        json.put("datacenters", datacenters);
        json.put("planSeconds", median);
        json.put("coldSeconds", cold);
        json.put("warmSeconds", warm);
        json.put("warmupPlans", warmup);
        json.put("strategy", p.strategy());
        json.put("h", p.h());
        json.put("predictedEta", p.eta());
        json.put("predictedEqualSplitEta", p.equalSplitEta());
        json.put("predictedStepSeconds", p.stepSeconds());
        json.put("globalBatch", globalBatch);
        json.put("parametersM", parametersM);
        json.put("chips", chips.stream().map(ChipSpec::name).toList());
        json.put("cores", cores);
        json.put("mode", "planning time measured on this CPU; plan figures are predictions of the cost model");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, JsonMapper.builder().build().writeValueAsString(json));
        System.out.println("  wrote " + out.toAbsolutePath().normalize());
        return 0;
    }

    /**
     * Devices round-robin over datacenters and chips, 8 to a node; every fifth device carries a measured speed
     * (its roofline prior ± 20 %) as a calibrated cluster would.
     */
    Request cluster(List<ChipSpec> chips) {
        SplittableRandom random = new SplittableRandom(seed);
        ModelProfile model = ModelProfile.ofParameters(parametersM, tokens);
        List<Datacenter> dcs = new ArrayList<>();
        for (int d = 0; d < datacenters; d++) {
            dcs.add(new Datacenter(dcId(d)));
        }
        List<Link> links = new ArrayList<>();
        for (int a = 0; a < datacenters; a++) {
            for (int b = a + 1; b < datacenters; b++) {
                links.add(new Link(dcId(a), dcId(b), 1 + 9 * random.nextDouble(), 10 + 50 * random.nextDouble()));
            }
        }
        List<Device> list = new ArrayList<>(devices);
        for (int i = 0; i < devices; i++) {
            int d = i % datacenters;
            int local = i / datacenters;
            ChipSpec chip = chips.get(local % chips.size());
            Double measured = i % 5 == 0
                    ? CostModel.rooflineSamplesPerSec(chip, model)
                            * (0.8 + 0.4 * random.nextDouble())
                    : null;
            list.add(new Device(String.format(Locale.ROOT, "%s-%05d", dcId(d), local), dcId(d),
                    dcId(d) + "-node-" + (local / 8), chip.name(), measured, null, null, null));
        }
        return new Request(dcs, links, list, new Job(model, globalBatch, true, "auto"));
    }

    private static String dcId(int d) {
        return "dc" + d;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
