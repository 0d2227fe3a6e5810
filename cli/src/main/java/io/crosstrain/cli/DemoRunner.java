package io.crosstrain.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The first real run: register the cluster, train the demo model on it with a balanced plan, run the same job with
 * an equal split as the baseline, and write the report and its plot.
 */
final class DemoRunner {

    /**
     * @param strategy sync-dp, or diloco with {@code h} inner steps per outer round and {@code codec} on the WAN
     */
    record Settings(int steps, int baselineSteps, int globalBatch, double learningRate, long seed, Path data,
                    Path report, Duration jobTimeout, String strategy, int h, String codec, DemoModel model) {

        Settings(int steps, int baselineSteps, int globalBatch, double learningRate, long seed, Path data,
                 Path report, Duration jobTimeout) {
            this(steps, baselineSteps, globalBatch, learningRate, seed, data, report, jobTimeout, "sync-dp", 0,
                    null, DemoModel.SMALL);
        }

        boolean diloco() {
            return "diloco".equals(strategy);
        }
    }

    /** What a finished demo produced. */
    record Outcome(UUID jobId, UUID baselineJobId, JsonNode report, Path reportFile, Path plotFile, String sample,
                   JsonNode simulated) {
    }

    /**
     * Where the demo runs: a stack's gateway, the cluster its workers serve, the directory its workers read datasets
     * from (null when this process cannot write there, as with compose) and where to look when devices stay down.
     */
    record Target(ApiClient api, DemoCluster cluster, Path dataDir, String logs) {

        static Target of(LocalStack stack, JsonMapper mapper) {
            return new Target(stack.api(mapper), stack.options().cluster(),
                    stack.options().workDir().resolve("data"), "worker logs in "
                    + stack.options().workDir().resolve("logs"));
        }
    }

    private final Target target;
    private final Settings settings;
    private final PrintStream out;
    private static final JsonMapper MAPPER = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    private final ApiClient api;

    DemoRunner(LocalStack stack, Settings settings, PrintStream out) {
        this(Target.of(stack, MAPPER), settings, out);
    }

    DemoRunner(Target target, Settings settings, PrintStream out) {
        this.target = target;
        this.settings = settings;
        this.out = out;
        this.api = target.api();
    }

    Outcome run() throws IOException, InterruptedException {
        DemoCluster cluster = target.cluster();
        registerCluster(cluster);
        awaitDevicesHealthy(cluster, Duration.ofSeconds(180));

        Map<String, Object> dataset = dataset();
        UUID jobId = submit("demo-balanced", "balanced", settings.steps(), dataset, null);
        out.println("  job " + jobId + ": balanced plan, " + settings.steps() + " steps, global batch "
                + settings.globalBatch());
        printPlan(jobId);
        follow(jobId, "balanced   ", settings.steps());

        UUID baselineId = null;
        if (settings.baselineSteps() > 0) {
            baselineId = submit("demo-equal-split", "equal", settings.baselineSteps(), dataset, jobId);
            out.println("  job " + baselineId + ": the same job with an equal split (baseline), "
                    + settings.baselineSteps() + " steps");
            follow(baselineId, "equal split", settings.baselineSteps());
        }

        JsonNode report = api.ok(api.get("/api/v1/jobs/" + jobId + "/report"), "report");
        Path reportFile = settings.report().toAbsolutePath();
        Files.createDirectories(reportFile.getParent());
        Files.writeString(reportFile, MAPPER.writeValueAsString(report));
        Path png = reportFile.resolveSibling(stripJson(reportFile.getFileName().toString()) + ".png");
        ReportPlot.write(report, png);
        JsonNode generated = Samples.generate(api, jobId, "the ", settings.seed());
        String sample = generated == null ? null : generated.path("text").asString();
        JsonNode simulated = simulate(jobId, report);
        if (simulated != null) {
            Files.writeString(reportFile.resolveSibling(stripJson(reportFile.getFileName().toString())
                    + "-simulate.json"), MAPPER.writeValueAsString(simulated));
        }
        return new Outcome(jobId, baselineId, report, reportFile, png, sample, simulated);
    }

    /**
     * Asks {@code POST /api/v1/plans/simulate} what the cluster should achieve, as the demo ran it: every device at
     * the speed it was emulated at (its chip's speed times the time scale, in samples per wall second). The
     * prediction leaves out the real Kafka time a round costs on this machine, which the time scale does not shrink;
     * that is the gap to the measured η. Returns null if the endpoint did not answer.
     */
    private JsonNode simulate(UUID jobId, JsonNode report) {
        JsonNode plan = api.ok(api.get("/api/v1/jobs/" + jobId + "/plan"), "plan");
        double k = plan.path("timeScale").isNumber() ? plan.path("timeScale").asDouble() : 1.0;
        List<Map<String, Object>> devices = new java.util.ArrayList<>();
        for (JsonNode d : plan.path("devices")) {
            devices.add(Map.of("id", d.path("deviceId").asString(), "datacenter", d.path("datacenter").asString(),
                    "chip", d.path("chip").asString(), "samplesPerSec", d.path("chipSamplesPerSec").asDouble() * k));
        }
        List<Map<String, Object>> dcs = new java.util.ArrayList<>();
        plan.path("datacenters").forEach(dc -> dcs.add(Map.of("id", dc.asString())));
        JsonNode model = plan.path("model");
        int d = model.path("dModel").asInt();
        // the plan leaves the vocabulary to the corpus; the report's parameter count fixes it (linear in vocab)
        long withoutVocab = new io.crosstrain.contracts.ModelSpec(model.path("layers").asInt(), d,
                model.path("heads").asInt(), model.path("seqLen").asInt(), 0).parameters(0);
        long vocab = (report.path("parameters").asLong() - withoutVocab) / (2L * d + 1);
        Map<String, Object> job = Map.of("model", Map.of("layers", model.path("layers").asInt(), "dModel", d,
                "heads", model.path("heads").asInt(), "seqLen", model.path("seqLen").asInt(), "vocabSize", vocab),
                "globalBatch", plan.path("globalBatch").asInt(), "allowGradientAccumulation", false,
                "strategy", settings.diloco() ? "diloco" : "sync-dp");
        job = new LinkedHashMap<>(job);
        if (settings.diloco()) {
            job.put("h", settings.h());
            job.put("codec", settings.codec());
        }
        if (plan.path("memoryScale").isNumber()) {
            job.put("memoryScale", plan.path("memoryScale").asDouble());
        }
        ApiClient.Response r = api.post("/api/v1/plans/simulate", Map.of("datacenters", dcs, "devices", devices,
                "job", job));
        if (r.status() != 200 || r.body() == null) {
            out.println("  simulate did not answer (HTTP " + r.status() + "): " + r.raw());
            return null;
        }
        return r.body();
    }

    /** Registers the cluster whose devices the stack's workers serve; used by {@code up} as well. */
    static void registerCluster(LocalStack stack, PrintStream out) {
        new DemoRunner(stack, null, out).registerCluster(stack.options().cluster());
    }

    /** Registers the cluster (again, harmlessly) and waits until every device is healthy and calibrated. */
    static void prepareCluster(LocalStack stack, PrintStream out, Duration timeout) throws InterruptedException {
        DemoRunner runner = new DemoRunner(stack, null, out);
        runner.registerCluster(stack.options().cluster());
        runner.awaitDevicesHealthy(stack.options().cluster(), timeout);
    }

    private void registerCluster(DemoCluster cluster) {
        for (DemoCluster.Datacenter dc : cluster.datacenters()) {
            accept(api.post("/api/v1/datacenters", Map.of("id", dc.id(), "name", dc.name())), "datacenter " + dc.id());
            for (DemoCluster.Node node : dc.nodes()) {
                for (DemoCluster.Device d : node.devices()) {
                    accept(api.post("/api/v1/devices", Map.of("id", d.id(), "nodeId", node.id(), "datacenter",
                            dc.id(), "chip", d.chip())), "device " + d.id());
                }
            }
        }
        out.println("  registered " + cluster.datacenters().size() + " datacenters, " + cluster.deviceCount()
                + " devices through the gateway");
    }

    /** 201 is new, 409 is "already registered by an earlier run" — both fine. */
    private void accept(ApiClient.Response r, String what) {
        if (r.status() != 201 && r.status() != 409) {
            api.ok(r, "registering " + what);
        }
    }

    private void awaitDevicesHealthy(DemoCluster cluster, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ProgressBar bar = new ProgressBar(out, "devices    ");
        int total = cluster.deviceCount();
        while (true) {
            JsonNode devices = api.ok(api.get("/api/v1/devices"), "listing devices");
            int ready = 0;
            for (JsonNode d : devices) {
                if ("HEALTHY".equals(d.path("status").asString()) && d.path("cpuFlopsPerSec").asDouble() > 0) {
                    ready++;
                }
            }
            bar.update(Math.min(ready, total), total, "healthy and calibrated");
            if (ready >= total) {
                bar.finish();
                return;
            }
            if (System.nanoTime() > deadline) {
                bar.finish();
                throw new IllegalStateException("only " + ready + " of " + total + " devices became healthy within "
                        + timeout.toSeconds() + " s (see " + target.logs()
                        + ")");
            }
            Thread.sleep(1000);
        }
    }

    private Map<String, Object> dataset() throws IOException {
        if (settings.data() == null) {
            return Map.of("kind", "bundled", "name", "grammar-en");
        }
        if (target.dataDir() == null) {
            throw new IllegalArgumentException("--data: this stack's workers read datasets from a directory this "
                    + "process cannot write; upload the file through the API (POST /api/v1/datasets) instead");
        }
        Path dataDir = target.dataDir();
        Path target = dataDir.resolve(settings.data().getFileName());
        Files.copy(settings.data(), target, StandardCopyOption.REPLACE_EXISTING);
        return Map.of("kind", "path", "path", target.getFileName().toString());
    }

    private UUID submit(String name, String allocation, int steps, Map<String, Object> dataset, UUID baselineFor) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", name);
        spec.put("model", settings.model().spec());
        if (settings.model().memoryScale() != null) {
            spec.put("memoryScale", settings.model().memoryScale());
        }
        spec.put("dataset", dataset);
        spec.put("steps", steps);
        spec.put("globalBatch", settings.globalBatch());
        spec.put("learningRate", settings.learningRate());
        spec.put("seed", settings.seed());
        spec.put("strategy", settings.diloco() ? "diloco" : "sync-dp");
        if (settings.diloco()) {
            // few outer rounds: momentum 0.5 overshoots less than DiLoCo's published 0.9 (ARCHITECTURE.md §4)
            spec.put("sync", Map.of("h", Math.min(settings.h(), steps), "codec", settings.codec(), "outerLr", 0.7,
                    "outerMomentum", 0.5));
        }
        spec.put("allocation", allocation);
        spec.put("devices", List.of());
        if (baselineFor != null) {
            spec.put("baselineFor", baselineFor.toString());
        }
        spec.put("hashEvery", 10);
        JsonNode job = api.ok(api.post("/api/v1/jobs", spec), "submitting " + name);
        return UUID.fromString(job.path("id").asString());
    }

    private void printPlan(UUID jobId) throws InterruptedException {
        JsonNode plan = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (plan == null && System.nanoTime() < deadline) {
            ApiClient.Response r = api.get("/api/v1/jobs/" + jobId + "/plan");
            if (r.status() == 200) {
                plan = r.body();
            } else {
                failIfTerminal(jobId);
                Thread.sleep(300);
            }
        }
        if (plan == null) {
            throw new IllegalStateException("job " + jobId + " was not planned within 60 s");
        }
        Map<String, List<String>> byChip = new LinkedHashMap<>();
        for (JsonNode d : plan.path("devices")) {
            byChip.computeIfAbsent(d.path("chip").asString() + "@" + d.path("datacenter").asString(),
                    k -> new ArrayList<>()).add(String.valueOf(d.path("batch").asInt()));
        }
        JsonNode p = plan.path("predicted");
        double equal = p.path("equalSplitEta").asDouble();
        out.println(String.format(Locale.ROOT, "  plan: %s  time scale k=%.3g  predicted eta %.3f (equal split %s)",
                byChip, plan.path("timeScale").asDouble(), p.path("eta").asDouble(),
                equal > 0 ? String.format(Locale.ROOT, "%.3f", equal) : "cannot run"));
    }

    private void follow(UUID jobId, String label, int steps) throws InterruptedException {
        ProgressBar bar = new ProgressBar(out, label);
        long deadline = System.nanoTime() + settings.jobTimeout().toNanos();
        while (true) {
            JsonNode job = api.ok(api.get("/api/v1/jobs/" + jobId), "job status");
            String state = job.path("state").asString();
            bar.update(job.path("step").asInt(0), steps, state);
            switch (state) {
                case "SUCCEEDED" -> {
                    bar.update(steps, steps, state);
                    bar.finish();
                    return;
                }
                case "FAILED", "CANCELLED" -> {
                    bar.finish();
                    throw new IllegalStateException("job " + jobId + " " + state + ": "
                            + job.path("reason").asString("no reason given"));
                }
                default -> {
                }
            }
            if (System.nanoTime() > deadline) {
                bar.finish();
                throw new IllegalStateException("job " + jobId + " still " + state + " after "
                        + settings.jobTimeout().toSeconds() + " s");
            }
            Thread.sleep(500);
        }
    }

    private void failIfTerminal(UUID jobId) {
        JsonNode job = api.ok(api.get("/api/v1/jobs/" + jobId), "job status");
        String state = job.path("state").asString();
        if ("FAILED".equals(state) || "CANCELLED".equals(state)) {
            throw new IllegalStateException("job " + jobId + " " + state + ": " + job.path("reason").asString());
        }
    }

    private static String stripJson(String name) {
        return name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
    }
}
