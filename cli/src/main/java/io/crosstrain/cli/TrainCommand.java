package io.crosstrain.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code ./crosstrain train}: a long run on a stack started with {@code ./crosstrain up}. The job checkpoints as it
 * goes; stop the stack (Ctrl-C on {@code up}) whenever you like, start it again, and the job resumes from its last
 * checkpoint by itself — {@code train --follow <jobId>} shows it again.
 */
@Command(name = "train", description = "Train a model on a running `./crosstrain up` stack, checkpointing as it goes.")
final class TrainCommand implements Callable<Integer> {

    @Mixin
    GatewayOptions gateway = new GatewayOptions();

    @Option(names = "--model", defaultValue = "medium", description = "a preset: small, medium, large")
    String model;

    @Option(names = "--steps", defaultValue = "600")
    int steps;

    @Option(names = "--global-batch", defaultValue = "264")
    int globalBatch;

    @Option(names = "--lr", defaultValue = "0.003")
    double learningRate;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--checkpoint-every", defaultValue = "25", description = "steps between checkpoints")
    int checkpointEvery;

    @Option(names = "--follow", description = "follow a job submitted before instead of submitting one")
    UUID follow;

    @Option(names = "--prompt", defaultValue = "the ", description = "what the closing sample starts with")
    String prompt;

    @Option(names = "--report", defaultValue = "target/train/report.json",
            description = "the finished job's report JSON (its loss curve plotted beside it as PNG)")
    Path report;

    @Override
    public Integer call() throws InterruptedException, IOException {
        PrintStream out = System.out;
        JsonMapper mapper = JsonMapper.builder().build();
        ApiClient api = gateway.client(mapper);
        UUID jobId = follow != null ? follow : submit(api);
        out.println("job " + jobId + (follow != null ? " (following)" : ": " + model + ", " + steps + " steps, "
                + "global batch " + globalBatch + ", a checkpoint every " + checkpointEvery + " steps"));
        JsonNode job = followToEnd(api, jobId, out);
        String state = job.path("state").asString();
        if (!"SUCCEEDED".equals(state)) {
            out.println("job " + jobId + " " + state + ": " + job.path("reason").asString(""));
            return 1;
        }
        JsonNode r = api.ok(api.get("/api/v1/jobs/" + jobId + "/report"), "report");
        out.println(String.format(Locale.ROOT, "loss %.3f -> %.3f over %d steps (%s)",
                r.path("loss").path("first").asDouble(), r.path("loss").path("last").asDouble(),
                r.path("steps").asInt(), r.path("mode").asString()));
        Summary.printCheckpoints(out, r);
        Path json = report.toAbsolutePath();
        Files.createDirectories(json.getParent());
        Files.writeString(json, mapper.writeValueAsString(r));
        Path png = json.resolveSibling(json.getFileName().toString().replaceFirst("\\.json$", "") + ".png");
        ReportPlot.write(r, png);
        out.println("report " + json + ", loss curve " + png);
        Samples.print(api, jobId, prompt, seed, out);
        out.println("export it: ./crosstrain export " + jobId + " DIR");
        return 0;
    }

    private UUID submit(ApiClient api) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", "train-" + model);
        spec.put("model", model);
        spec.put("dataset", Map.of("kind", "bundled", "name", "grammar-en"));
        spec.put("steps", steps);
        spec.put("globalBatch", globalBatch);
        spec.put("learningRate", learningRate);
        spec.put("seed", seed);
        spec.put("devices", List.of());
        spec.put("hashEvery", 10);
        spec.put("checkpoint", Map.of("every", checkpointEvery));
        JsonNode job = api.ok(api.post("/api/v1/jobs", spec), "submitting the job");
        return UUID.fromString(job.path("id").asString());
    }

    /** Polls until the job ends; rides out a stopped stack (the gateway comes back when `up` runs again). */
    private static JsonNode followToEnd(ApiClient api, UUID jobId, PrintStream out) throws InterruptedException {
        ProgressBar bar = new ProgressBar(out, "training");
        String lastState = "";
        boolean unreachable = false;
        while (true) {
            ApiClient.Response r;
            try {
                r = api.get("/api/v1/jobs/" + jobId);
            } catch (IllegalStateException e) {
                if (!unreachable) {
                    out.println("\n  the stack does not answer (" + e.getMessage() + "); waiting for it to come back "
                            + "— start ./crosstrain up again and the job resumes from its last checkpoint");
                    unreachable = true;
                }
                Thread.sleep(5000);
                continue;
            }
            unreachable = false;
            JsonNode job = api.ok(r, "job status");
            String state = job.path("state").asString();
            if (!state.equals(lastState) && ("SUSPENDED".equals(state) || "RECOVERING".equals(state))) {
                out.println("\n  " + state + ": " + job.path("reason").asString(""));
            }
            lastState = state;
            int total = job.path("steps").asInt(job.path("spec").path("steps").asInt(0));
            bar.update(job.path("step").asInt(0), total, state);
            if (List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(state)) {
                bar.finish();
                return job;
            }
            Thread.sleep(2000);
        }
    }
}
