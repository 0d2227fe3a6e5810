package io.crosstrain.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.crosstrain.bench.rebalance.EmulatedCluster;
import io.crosstrain.bench.rebalance.EmulatedCluster.Device;
import io.crosstrain.bench.rebalance.EmulatedCluster.Scenario;
import io.crosstrain.bench.rebalance.Recovery;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.planner.Allocation;
import io.crosstrain.planner.BatchAllocator;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ChipSpec;
import io.crosstrain.planner.CostModel;
import io.crosstrain.planner.ModelProfile;
import io.crosstrain.planner.rebalance.Rebalancer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;

/**
 * Closed-loop rebalancing on the demo's device mix, emulated in one process (pacing only, no model compute): one
 * device slows down mid-run, the {@link Rebalancer} notices, and the new balanced split applies from the next
 * round. The same scenario runs again with rebalancing off for comparison.
 */
@Command(name = "rebalance", mixinStandardHelpOptions = true,
        description = "emulated closed-loop rebalancing after one device slows down (pacing only)")
public final class RebalanceBench implements Callable<Integer> {

    /** Vocabulary of the bundled corpus the demo trains on. */
    static final int DEMO_VOCAB = 66;
    static final double RECOVERY_TOLERANCE = 0.02;
    static final int RECOVERY_ROUNDS_GOAL = 3;

    @Option(names = "--rounds", defaultValue = "60")
    int rounds;

    @Option(names = "--slow-round", defaultValue = "15", description = "first round at the lower speed")
    int slowRound;

    @Option(names = "--factor", defaultValue = "0.6", description = "the slowed device's speed multiplier")
    double factor;

    @Option(names = "--device", defaultValue = "bj-a100-0", description = "the device that slows down")
    String device;

    @Option(names = "--warmup", defaultValue = "5", description = "rounds left out of etaBefore")
    int warmup;

    @Option(names = "--round-ms", defaultValue = "80", description = "wall time of a balanced round; sets k")
    double roundMillis;

    @Option(names = "--global-batch", defaultValue = "528")
    int globalBatch;

    @Option(names = "--out", defaultValue = "${sys:crosstrain.home:-.}/target/bench/rebalance.json")
    Path out;

    public RebalanceBench() {
    }

    @Override
    public Integer call() throws Exception {
        List<Device> devices = demoDevices();
        int slowed = IntStream.range(0, devices.size()).filter(i -> devices.get(i).id().equals(device)).findFirst()
                .orElseThrow(() -> new CommandLine.ParameterException(new CommandLine(this), "--device: unknown "
                        + "device '" + device + "'; known: " + devices.stream().map(Device::id).toList()));
        if (!(factor > 0) || warmup < 0 || warmup >= slowRound || slowRound >= rounds - 1 || !(roundMillis > 0)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "need factor > 0, round-ms > 0 and "
                    + "0 ≤ warmup < slow-round < rounds - 1");
        }
        double[] solo = devices.stream().mapToDouble(Device::soloSpeed).toArray();
        int[] caps = devices.stream().mapToInt(Device::cap).toArray();
        Allocation initial = BatchAllocator.balanced(solo, caps, globalBatch, false);
        if (!initial.feasible()) {
            throw new IllegalStateException(initial.reason());
        }
        // k such that the balanced step of the real chips lasts roundMillis of wall time
        double k = initial.stepTime() / (roundMillis / 1000.0);

        Scenario on = scenario(devices, k, slowed, true);
        Scenario off = scenario(devices, k, slowed, false);
        long t0 = System.nanoTime();
        EmulatedCluster.Result withRebalance = EmulatedCluster.run(on);
        EmulatedCluster.Result without = EmulatedCluster.run(off);
        double seconds = (System.nanoTime() - t0) / 1e9;

        Optional<EmulatedCluster.Decision> decision = withRebalance.afterSlowdown();
        int applied = decision.map(EmulatedCluster.Decision::appliedRound).orElse(-1);
        Recovery rec = Recovery.of(withRebalance.eta(), warmup, slowRound, applied, RECOVERY_TOLERANCE);
        double etaNoRebalance = Recovery.mean(without.eta(), slowRound, rounds);
        double[] eta = withRebalance.eta();
        int switchAt = applied < 0 ? rounds : applied;
        Map<String, Double> medians = new LinkedHashMap<>();
        medians.put("etaBefore", finite(Recovery.median(eta, warmup, slowRound)));
        medians.put("etaDuring", finite(Recovery.median(eta, slowRound, switchAt)));
        medians.put("etaAfter", applied < 0 ? null : finite(Recovery.median(eta, applied, rounds)));
        medians.put("etaNoRebalance", finite(Recovery.median(without.eta(), slowRound, rounds)));

        double[] slowedSpeeds = solo.clone();
        slowedSpeeds[slowed] *= factor;
        int[] before = initial.batch();
        int[] after = decision.filter(d -> d.appliedRound() >= 0).map(d -> d.allocation().batch()).orElse(null);
        Allocation idealAfter = BatchAllocator.balanced(slowedSpeeds, caps, globalBatch, false);
        Map<String, Object> predicted = new LinkedHashMap<>();
        predicted.put("etaBefore", BatchAllocator.eta(before, solo));
        predicted.put("etaDuring", BatchAllocator.eta(before, slowedSpeeds));
        predicted.put("etaAfter", after == null ? null : BatchAllocator.eta(after, slowedSpeeds));
        predicted.put("etaNoRebalance", BatchAllocator.eta(before, slowedSpeeds));
        predicted.put("etaIdealAfter", BatchAllocator.eta(idealAfter.batch(), slowedSpeeds));
        Allocation equal = BatchAllocator.equalSplit(solo, caps, globalBatch, false);
        predicted.put("etaEqualSplitBefore", equal.feasible() ? BatchAllocator.eta(equal.batch(), solo) : null);

        boolean goalMet = !Double.isNaN(rec.etaAfter())
                && Math.abs(rec.etaAfter() - rec.etaBefore()) <= RECOVERY_TOLERANCE * rec.etaBefore()
                && rec.roundsToRecover() >= 0 && rec.roundsToRecover() <= RECOVERY_ROUNDS_GOAL;
        String reason = decision.map(d -> d.decision().reason()).orElse(null);

        printTable(devices, k, rec, etaNoRebalance, medians, predicted, decision, before, after, goalMet, seconds);

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("etaBefore", finite(rec.etaBefore()));
        json.put("etaDuring", finite(rec.etaDuring()));
        json.put("etaAfter", finite(rec.etaAfter()));
        json.put("etaNoRebalance", finite(etaNoRebalance));
        json.put("roundsToRecover", rec.roundsToRecover() < 0 ? null : rec.roundsToRecover());
        json.put("mode", "emulated");
        json.put("goalMet", goalMet);
        json.put("predicted", predicted);
        json.put("medians", medians);
        List<Map<String, Object>> deviceRows = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", devices.get(i).id());
            row.put("chip", devices.get(i).chip());
            row.put("soloSamplesPerSec", solo[i]);
            row.put("batchBefore", before[i]);
            row.put("batchAfter", after == null ? null : after[i]);
            String id = devices.get(i).id();
            row.put("estimatedSamplesPerSec", decision.map(d -> d.decision().speeds().get(id)).orElse(null));
            deviceRows.add(row);
        }
        json.put("devices", deviceRows);
        json.put("slowedDevice", device);
        json.put("slowdownFactor", factor);
        json.put("slowRound", slowRound);
        json.put("decisionRound", decision.map(EmulatedCluster.Decision::round).orElse(null));
        json.put("appliedRound", applied < 0 ? null : applied);
        json.put("rounds", rounds);
        json.put("warmupRounds", warmup);
        json.put("globalBatch", globalBatch);
        json.put("timeScale", k);
        json.put("roundMillis", roundMillis);
        json.put("reason", reason);
        json.put("detector", Map.of("threshold", Rebalancer.DEFAULT_THRESHOLD,
                "consecutive", Rebalancer.DEFAULT_CONSECUTIVE, "window", Rebalancer.DEFAULT_WINDOW));
        json.put("decisions", withRebalance.decisions().stream().map(d -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("round", d.round());
            m.put("appliedRound", d.appliedRound() < 0 ? null : d.appliedRound());
            m.put("reason", d.decision().reason());
            return m;
        }).toList());
        json.put("etaByRound", rounded(withRebalance.eta()));
        json.put("etaByRoundNoRebalance", rounded(without.eta()));
        json.put("wallSeconds", seconds);

        Path target = out.toAbsolutePath().normalize();
        Files.createDirectories(target.getParent());
        Files.writeString(target, JsonMapper.builder().build().writerWithDefaultPrettyPrinter()
                .writeValueAsString(json));
        System.out.println("  wrote " + target);
        return 0;
    }

    private Scenario scenario(List<Device> devices, double k, int slowed, boolean rebalance) {
        return new Scenario(devices, globalBatch, k, rounds, slowRound, slowed, factor, rebalance,
                Rebalancer.DEFAULT_THRESHOLD, Rebalancer.DEFAULT_CONSECUTIVE, Rebalancer.DEFAULT_WINDOW);
    }

    /** The demo cluster: bj 4× A100-80G, sh 4× H20, gy 4× Ascend-910B, speeds from the roofline prior. */
    static List<Device> demoDevices() {
        ChipCatalogue catalogue = ChipCatalogue.defaults();
        ModelProfile model = ModelProfile.of(ModelSpec.demo(), DEMO_VOCAB);
        List<Device> devices = new ArrayList<>();
        String[][] groups = {{"bj", "a100", "A100-80G"}, {"sh", "h20", "H20"}, {"gy", "910b", "Ascend-910B"}};
        for (String[] g : groups) {
            ChipSpec chip = catalogue.get(g[2]);
            for (int i = 0; i < 4; i++) {
                devices.add(new Device(g[0] + "-" + g[1] + "-" + i, chip.name(),
                        CostModel.rooflineSamplesPerSec(chip, model), CostModel.memoryCap(chip, model)));
            }
        }
        return devices;
    }

    private void printTable(List<Device> devices, double k, Recovery rec, double etaNoRebalance,
                            Map<String, Double> medians, Map<String, Object> predicted, Optional<EmulatedCluster.Decision> decision, int[] before,
                            int[] after, boolean goalMet, double seconds) {
        System.out.println("closed-loop rebalancing — EMULATED (pacing only, no model compute; relative chip speeds "
                + "from the roofline prior)");
        System.out.println(String.format(Locale.ROOT, "  %d devices (4x A100-80G, 4x H20, 4x Ascend-910B), global batch "
                + "%d, %d rounds of ~%.0f ms (k=%.3g), %s at %.2fx speed from round %d, %.1f s wall",
                devices.size(), globalBatch, rounds, roundMillis, k, device, factor, slowRound, seconds));
        System.out.println("  split before: " + split(devices, before));
        System.out.println("  split after:  " + (after == null ? "(no new plan)" : split(devices, after)));
        System.out.println("  decision:     " + decision.map(d -> "round " + d.round() + " -> applies from round "
                + (d.appliedRound() < 0 ? "(never)" : d.appliedRound()) + ": " + d.decision().reason())
                .orElse("(none after the slowdown)"));
        System.out.println(String.format(Locale.ROOT, "  %-34s %10s %10s %10s", "phase", "eta (mean)", "median",
                "predicted"));
        row("before slowdown (after warm-up)", rec.etaBefore(), medians.get("etaBefore"), predicted.get("etaBefore"));
        row("slowed, old plan", rec.etaDuring(), medians.get("etaDuring"), predicted.get("etaDuring"));
        row("slowed, new plan", rec.etaAfter(), medians.get("etaAfter"), predicted.get("etaAfter"));
        row("slowed, rebalancing off", etaNoRebalance, medians.get("etaNoRebalance"),
                predicted.get("etaNoRebalance"));
        row("ideal split at the slowed speeds", Double.NaN, null, predicted.get("etaIdealAfter"));
        row("equal split (baseline, before)", Double.NaN, null, predicted.get("etaEqualSplitBefore"));
        System.out.println(String.format(Locale.ROOT, "  rounds to recover (eta within %.0f%% of before): %s",
                RECOVERY_TOLERANCE * 100, rec.roundsToRecover() < 0 ? "never" : rec.roundsToRecover()));
        System.out.println(String.format(Locale.ROOT, "  goal (etaAfter within 2%% of etaBefore, recovered in <= %d "
                + "rounds): %s", RECOVERY_ROUNDS_GOAL, goalMet ? "met" : "NOT met"));
    }

    private static void row(String phase, double measured, Double median, Object predicted) {
        System.out.println(String.format(Locale.ROOT, "  %-34s %10s %10s %10s", phase, fmt(measured),
                fmt(median == null ? Double.NaN : median), fmt(predicted == null ? Double.NaN : (Double) predicted)));
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    /** "A100-80G=[53, 53, 53, 53] H20=[...]" in device order. */
    private static String split(List<Device> devices, int[] batch) {
        Map<String, List<Integer>> byChip = new LinkedHashMap<>();
        for (int i = 0; i < devices.size(); i++) {
            byChip.computeIfAbsent(devices.get(i).chip(), c -> new ArrayList<>()).add(batch[i]);
        }
        return byChip.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(" "));
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static double[] rounded(double[] values) {
        return Arrays.stream(values).map(v -> Math.round(v * 1e5) / 1e5).toArray();
    }

    /** For running without BenchMain: {@code java -cp ... io.crosstrain.bench.RebalanceBench [options]}. */
    public static void main(String[] args) {
        System.exit(new CommandLine(new RebalanceBench()).execute(args));
    }
}
