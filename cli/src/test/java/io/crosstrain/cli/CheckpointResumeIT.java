package io.crosstrain.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The trained model as a product, through the real services: checkpoints in an S3-compatible store (S3Proxy from its
 * Maven Central jar, as compose runs it; the demo and pipeline tests use the local one), every worker process of
 * a running job killed and started again (the job goes SUSPENDED and resumes from its last checkpoint by itself),
 * the model exported with {@code ./crosstrain export} and read back by Python's {@code safetensors}, and text
 * sampled from it through the gateway.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CheckpointResumeIT {

    private static final String DATABASE = "ct_ckpt_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private static final Path HOME = Path.of(System.getProperty("crosstrain.home", "..")).toAbsolutePath()
            .normalize();
    private static final Path WORK = HOME.resolve("cli/target/e2e-checkpoints");
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    private static final int PORT_BASE = Integer.getInteger("crosstrain.e2e.checkpointPortBase", 16080);
    private static final List<String> WORKERS = List.of("worker-bj-node-0", "worker-sh-node-0", "worker-gy-node-0");
    private static final int STEPS = 12;
    /** An equal split: the plan after a resume gives every device the same batch as before, whatever was measured. */
    private static final int BATCH = 96;
    private static LocalStack stack;
    private static ApiClient api;
    private static UUID reference;

    @BeforeAll
    static void startStack() throws Exception {
        // a silent device is SUSPECT after 4 s and DOWN after 8 s (heartbeats come every 2 s)
        stack = new LocalStack(new LocalStack.Options(HOME, 0, PORT_BASE, DATABASE, WORK, DemoCluster.standard(),
                Map.of("CROSSTRAIN_INVENTORY_SUSPECTAFTER", "4s", "CROSSTRAIN_INVENTORY_DOWNAFTER", "8s"))
                .withCheckpointStore("s3"), OUT);
        stack.start(Duration.ofMinutes(5));
        DemoRunner.prepareCluster(stack, OUT, Duration.ofMinutes(3));
        api = stack.api(JsonMapper.builder().build());
    }

    @AfterAll
    static void stopStackAndDropDatabase() {
        E2e.stop(stack, DATABASE);
    }

    private static Map<String, Object> spec(String name, String strategy) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", name);
        spec.put("model", Map.of("layers", 2, "dModel", 64, "heads", 4, "seqLen", 32, "vocabSize", 0));
        spec.put("dataset", Map.of("kind", "bundled", "name", "grammar-en"));
        spec.put("steps", STEPS);
        spec.put("globalBatch", BATCH);
        spec.put("learningRate", 0.006);
        spec.put("seed", 17);
        spec.put("strategy", strategy);
        spec.put("allocation", "equal");
        spec.put("devices", List.of());
        spec.put("hashEvery", 4);
        spec.put("checkpoint", Map.of("every", 4, "keep", 2));
        // the resume waits for all twelve devices, so its plan (and the sums' order) is the first one's
        spec.put("placement", Map.of("minDevices", 12));
        if ("diloco".equals(strategy)) {
            spec.put("sync", Map.of("h", 4, "codec", "int8", "outerLr", 0.7, "outerMomentum", 0.5));
        }
        return spec;
    }

    private static UUID submit(Map<String, Object> spec) {
        return UUID.fromString(api.ok(api.post("/api/v1/jobs", spec), "submit").path("id").asString());
    }

    private static JsonNode checkpoints(UUID job) {
        return api.ok(api.get("/api/v1/jobs/" + job + "/checkpoints"), "checkpoints");
    }

    private static long latestCheckpointStep(UUID job) {
        long latest = -1;
        for (JsonNode c : checkpoints(job)) {
            latest = Math.max(latest, c.path("step").asLong());
        }
        return latest;
    }

    @Test
    @Order(1)
    void anUninterruptedSyncDpJobCheckpointsEveryFourStepsAndKeepsTwo() throws Exception {
        reference = submit(spec("ckpt-reference", "sync-dp"));
        JsonNode job = E2e.awaitEnd(api, reference, Duration.ofMinutes(6));
        assertThat(job.path("state").asString()).as(job.path("reason").asString()).isEqualTo("SUCCEEDED");
        // job-api prunes right after it commits a new checkpoint: for a moment step 4 is still listed beside 12
        E2e.awaitJob(api, reference, j -> latestCheckpointStep(reference) == STEPS
                && checkpoints(reference).size() <= 2, Duration.ofMinutes(1));
        JsonNode listed = checkpoints(reference);
        List<Long> steps = new ArrayList<>();
        listed.forEach(c -> steps.add(c.path("step").asLong()));
        // steps 4, 8 and 12 were written; two are kept
        assertThat(steps).containsExactly(8L, 12L);
        JsonNode report = api.ok(api.get("/api/v1/jobs/" + reference + "/report"), "report");
        assertThat(report.path("checkpoints").size()).isEqualTo(2);
        JsonNode last = report.path("checkpoints").get(1);
        assertThat(last.path("location").asString()).startsWith("s3://" + S3ProxyProcess.BUCKET + "/");
        OUT.printf("  checkpoint of step %d: %,d bytes, upload %.1f ms, training paused %.2f ms (emulated), %s%n",
                last.path("step").asLong(), last.path("bytes").asLong(), last.path("uploadMillis").asDouble(),
                last.path("pauseMillis").asDouble(), last.path("location").asString());
        assertThat(last.path("bytes").asLong()).isPositive();
    }

    @Test
    @Order(2)
    void killingEveryWorkerSuspendsTheJobAndItResumesFromItsCheckpointToTheSameWeights() throws Exception {
        UUID job = submit(spec("ckpt-killed", "sync-dp"));
        E2e.awaitJob(api, job, j -> latestCheckpointStep(job) >= 4 && j.path("step").asInt() >= 5,
                Duration.ofMinutes(4));
        long checkpointAtKill = latestCheckpointStep(job);
        int stepAtKill = api.ok(api.get("/api/v1/jobs/" + job), "job").path("step").asInt();
        killAndRestartEveryWorker(job);
        JsonNode end = E2e.awaitEnd(api, job, Duration.ofMinutes(8));
        assertThat(end.path("state").asString()).as(end.path("reason").asString()).isEqualTo("SUCCEEDED");

        List<String> states = history(job);
        assertThat(states).containsSubsequence("RUNNING", "SUSPENDED", "RECOVERING", "RUNNING", "SUCCEEDED");
        JsonNode report = api.ok(api.get("/api/v1/jobs/" + job + "/report"), "report");
        JsonNode ref = api.ok(api.get("/api/v1/jobs/" + reference + "/report"), "reference report");
        // every step counted once: the redone ones replace what the lost workers had done after the checkpoint
        assertThat(report.path("steps").asInt()).isEqualTo(STEPS);
        assertThat(report.path("samples").asLong()).isEqualTo(ref.path("samples").asLong())
                .isEqualTo((long) STEPS * BATCH);
        assertThat(report.path("replicas").path("identical").asBoolean()).isTrue();
        // deterministic math: resumed from the state after the checkpoint, the job ends where the uninterrupted one did
        assertThat(report.path("replicas").path("lastHash").asString())
                .isEqualTo(ref.path("replicas").path("lastHash").asString());
        OUT.printf("  sync DP: killed every worker at step %d (checkpoint %d), resumed and finished with %d samples, "
                        + "final hash equal to the uninterrupted run's%n", stepAtKill, checkpointAtKill,
                report.path("samples").asLong());
    }

    @Test
    @Order(3)
    void aDilocoJobLosingEveryWorkerFinishesWithEverySampleCountedOnce() throws Exception {
        UUID job = submit(spec("ckpt-diloco", "diloco"));
        E2e.awaitJob(api, job, j -> latestCheckpointStep(job) >= 4 && j.path("step").asInt() >= 5,
                Duration.ofMinutes(4));
        killAndRestartEveryWorker(job);
        JsonNode end = E2e.awaitEnd(api, job, Duration.ofMinutes(8));
        assertThat(end.path("state").asString()).as(end.path("reason").asString()).isEqualTo("SUCCEEDED");
        assertThat(history(job)).containsSubsequence("SUSPENDED", "RECOVERING", "SUCCEEDED");
        JsonNode report = api.ok(api.get("/api/v1/jobs/" + job + "/report"), "report");
        assertThat(report.path("samples").asLong()).isEqualTo((long) STEPS * BATCH);
        assertThat(report.path("steps").asInt()).isEqualTo(STEPS);
    }

    @Test
    @Order(4)
    void theExportedModelLoadsInPythonsSafetensorsWithTheWeightsTheWorkersHeld() throws Exception {
        Path dir = WORK.resolve("export-" + reference);
        int code = new CommandLine(new CrossTrainCli()).execute("export", reference.toString(), dir.toString(),
                "--gateway", api.base(), "--key", api.key());
        assertThat(code).isZero();
        assertThat(dir.resolve("model.safetensors")).exists();
        assertThat(dir.resolve("config.json")).exists();
        assertThat(dir.resolve("vocab.json")).exists();

        // a reader no one here wrote: the tensors, in file order, hash to what the workers reported
        Path script = dir.resolve("check.py");
        Files.writeString(script, """
                import hashlib, json, sys
                from safetensors import safe_open
                from safetensors.numpy import load_file
                d = sys.argv[1]
                tensors = load_file(d + "/model.safetensors")
                with open(d + "/model.safetensors", "rb") as f:
                    n = int.from_bytes(f.read(8), "little")
                    header = json.loads(f.read(n))
                order = sorted((k for k in header if k != "__metadata__"), key=lambda k: header[k]["data_offsets"][0])
                sha = hashlib.sha256()
                for k in order:
                    sha.update(tensors[k].astype("<f4").tobytes())
                config = json.load(open(d + "/config.json"))
                vocab = json.load(open(d + "/vocab.json"))
                print(json.dumps({"hash": sha.hexdigest(), "tensors": len(order),
                                  "elements": int(sum(tensors[k].size for k in order)),
                                  "shapes": {k: list(tensors[k].shape) for k in order},
                                  "parameters": config.get("parameters"), "vocab": len(vocab)}))
                """);
        ProcessBuilder pb = new ProcessBuilder("python3", script.toString(), dir.toString()).redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(p.waitFor()).as(output).isZero();
        String[] lines = output.split("\n");
        JsonNode read = JsonMapper.builder().build().readTree(lines[lines.length - 1]); // the script's one JSON line
        JsonNode report = api.ok(api.get("/api/v1/jobs/" + reference + "/report"), "report");
        assertThat(read.path("hash").asString()).isEqualTo(report.path("replicas").path("lastHash").asString());
        assertThat(read.path("elements").asLong()).isEqualTo(report.path("parameters").asLong())
                .isEqualTo(read.path("parameters").asLong());
        assertThat(read.path("tensors").asInt()).isGreaterThan(5);
        OUT.println("  exported " + read.path("tensors").asInt() + " tensors, " + read.path("elements").asLong()
                + " parameters; Python's safetensors reads the workers' final weights (hash " 
                + read.path("hash").asString().substring(0, 12) + ")");
    }

    @Test
    @Order(5)
    void generateAnswersThroughTheGatewayAndRejectsBadValuesNamingTheField() {
        Map<String, Object> ask = Map.of("prompt", "the ", "maxTokens", 120, "temperature", 0.8, "topK", 5,
                "seed", 3);
        JsonNode a = api.ok(api.post("/api/v1/jobs/" + reference + "/generate", ask), "generate");
        JsonNode b = api.ok(api.post("/api/v1/jobs/" + reference + "/generate", ask), "generate again");
        assertThat(a.path("text").asString()).isEqualTo(b.path("text").asString()).isNotBlank();
        assertThat(a.path("step").asLong()).isEqualTo(STEPS);
        ApiClient.Response bad = api.post("/api/v1/jobs/" + reference + "/generate", Map.of("prompt", "the ",
                "maxTokens", 5000, "temperature", 0.8, "topK", 0, "seed", 1));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.raw()).contains("maxTokens");
        OUT.println("  generate (step " + a.path("step").asLong() + "): " + a.path("text").asString()
                .replace("\n", " ").substring(0, Math.min(60, a.path("text").asString().length())));
    }

    @Test
    @Order(6)
    void theJobPageSamplesFromTheModelThroughItsPromptBox() throws Exception {
        try (WebUiCheck ui = new WebUiCheck(api.base(), WORK.resolve("screenshots"), OUT)) {
            String text = ui.tryTheModel(api.key(), reference, "the ");
            assertThat(text).isNotBlank();
            OUT.println("  the web UI's prompt box answered " + text.length() + " characters");
        }
    }

    private static void killAndRestartEveryWorker(UUID job) throws Exception {
        for (String w : WORKERS) {
            stack.service(w).kill();
        }
        OUT.println("  killed every worker of job " + job);
        E2e.awaitJob(api, job, j -> "SUSPENDED".equals(j.path("state").asString()), Duration.ofMinutes(2));
        for (String w : WORKERS) {
            stack.restart(w, Duration.ofMinutes(3));
        }
        OUT.println("  started every worker again");
    }

    private static List<String> history(UUID job) {
        List<String> states = new ArrayList<>();
        api.ok(api.get("/api/v1/jobs/" + job + "/history"), "history").forEach(h -> states.add(
                h.path("to").asString()));
        return states;
    }
}
