package io.crosstrain.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code ./crosstrain chaos}: a sync-DP job (in bj) and a DiLoCo job (across sh and gy) run undisturbed, then again
 * with the same seeds while, at moments drawn from a printed seed, one part of the stack at a time is killed and
 * started again: a worker, a relay, the scheduler, job-api, device-inventory, the gateway, one of three Kafka
 * brokers, or PostgreSQL (crashed and restarted). Both disturbed jobs must succeed with exactly their samples,
 * identical replicas, and a final loss within 2 % of the undisturbed one.
 */
final class Chaos {

    /** The cluster chaos runs on: two nodes per datacenter, so one killed node never takes a job's last device. */
    static DemoCluster cluster() {
        return new DemoCluster(List.of(
                DemoCluster.datacenter("bj", "Beijing", "a100", "A100-80G", new int[] {2, 2}),
                DemoCluster.datacenter("sh", "Shanghai", "h20", "H20", new int[] {2, 2}),
                DemoCluster.datacenter("gy", "Guiyang", "910b", "Ascend-910B", new int[] {2, 2})));
    }

    static final List<String> KINDS = List.of("worker", "relay", "scheduler", "job-api", "device-inventory",
            "gateway", "kafka-broker", "postgres");
    static final double LOSS_TOLERANCE = 0.02;
    static final int GLOBAL_BATCH = 48;
    /** A fault the jobs have not got past in this long counts as not recovered (the checks then say more). */
    static final Duration RECOVERY_LIMIT = Duration.ofMinutes(3);
    static final Duration PROGRESS_EVERY = Duration.ofSeconds(30);

    record Fault(int n, String kind, String target, double atSeconds, double downSeconds,
                 double recoveredAfterSeconds, Map<String, Integer> jobStepsAtFault) {
    }

    record JobResult(String strategy, String jobId, String state, int steps, long samples, long expectedSamples,
                     boolean replicasIdentical, double loss, double referenceLoss, double lossDelta,
                     double wallSeconds) {
    }

    record Check(String name, boolean passed, String detail) {
    }

    record Report(String label, long seed, double minutes, int steps, List<Fault> faults, List<JobResult> jobs,
                  List<Check> checks, boolean passed, double wallSeconds) {
    }

    private final LocalStack stack;
    private final ChaosPostgres postgres;
    private final PrintStream out;
    private final long seed;
    private final Duration window;
    private final int steps;
    private final Random random;
    private final ApiClient api;
    private final long started = System.nanoTime();

    Chaos(LocalStack stack, ChaosPostgres postgres, PrintStream out, long seed, Duration window, int steps) {
        this.stack = stack;
        this.postgres = postgres;
        this.out = out;
        this.seed = seed;
        this.window = window;
        this.steps = steps;
        this.random = new Random(seed);
        this.api = stack.api(JsonMapper.builder().build());
    }

    Report run() throws Exception {
        out.println("undisturbed run (the reference): sync-DP in bj, DiLoCo across sh and gy, " + steps + " steps each");
        Map<String, UUID> reference = submitBoth("reference");
        Map<String, JsonNode> referenceEnd = awaitAll(reference, () -> false);
        Map<String, JsonNode> referenceReports = reports(reference);
        out.println("chaos run: the same jobs, faults for " + window.toSeconds() + " s (seed " + seed + ")");
        Map<String, UUID> disturbed = submitBoth("chaos");
        long chaosStart = System.nanoTime();
        List<Fault> faults = new ArrayList<>();
        awaitAll(disturbed, () -> {
            double elapsed = (System.nanoTime() - chaosStart) / 1e9;
            if (elapsed > window.toSeconds()) {
                return false;
            }
            try {
                sleepSeconds(8 + random.nextInt(12)); // a fault every 8-20 s
                if (allEnded(disturbed) || (System.nanoTime() - chaosStart) / 1e9 > window.toSeconds()) {
                    return false;
                }
                faults.add(inject(faults.size() + 1, disturbed, (System.nanoTime() - chaosStart) / 1e9));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } catch (Exception e) {
                throw new IllegalStateException("fault " + (faults.size() + 1) + ": " + e.getMessage(), e);
            }
            return true;
        });
        Map<String, JsonNode> reports = reports(disturbed);
        List<JobResult> jobs = new ArrayList<>();
        List<Check> checks = new ArrayList<>();
        for (String strategy : disturbed.keySet()) {
            JsonNode end = job(disturbed.get(strategy));
            JsonNode report = reports.get(strategy);
            double loss = report.path("loss").path("last").asDouble(Double.NaN);
            double ref = referenceReports.get(strategy).path("loss").path("last").asDouble(Double.NaN);
            long samples = report.path("samples").asLong(-1);
            long expected = (long) steps * GLOBAL_BATCH;
            boolean identical = report.path("replicas").path("identical").asBoolean(false);
            double delta = Math.abs(loss - ref) / ref;
            jobs.add(new JobResult(strategy, disturbed.get(strategy).toString(), end.path("state").asString(), steps,
                    samples, expected, identical, loss, ref, delta, wall(end)));
            checks.add(new Check(strategy + " succeeded", "SUCCEEDED".equals(end.path("state").asString()),
                    end.path("state").asString() + " " + end.path("reason").asString("")));
            checks.add(new Check(strategy + " samples exact", samples == expected, samples + " of " + expected));
            checks.add(new Check(strategy + " replicas identical", identical,
                    report.path("replicas").path("checkedSteps").asInt() + " checks"));
            checks.add(new Check(strategy + " loss within 2% of undisturbed", delta <= LOSS_TOLERANCE,
                    String.format("%.4f vs %.4f (%.2f%%)", loss, ref, 100 * delta)));
            checks.add(new Check(strategy + " reference succeeded",
                    "SUCCEEDED".equals(referenceEnd.get(strategy).path("state").asString()),
                    referenceEnd.get(strategy).path("state").asString()));
        }
        checks.add(new Check("faults injected", !faults.isEmpty(), faults.size() + " faults"));
        List<Integer> stuck = faults.stream().filter(f -> Double.isNaN(f.recoveredAfterSeconds())).map(Fault::n)
                .toList();
        checks.add(new Check("every fault recovered from", stuck.isEmpty(), stuck.isEmpty()
                ? "within " + RECOVERY_LIMIT.toSeconds() + " s each" : "not after faults " + stuck));
        boolean passed = checks.stream().allMatch(Check::passed);
        return new Report("emulated", seed, window.toSeconds() / 60.0, steps, faults, jobs, checks, passed,
                (System.nanoTime() - started) / 1e9);
    }

    private Map<String, UUID> submitBoth(String tag) {
        Map<String, UUID> jobs = new LinkedHashMap<>();
        jobs.put("sync-dp", submit("chaos-sync-dp-" + tag, "sync-dp", List.of("bj")));
        jobs.put("diloco", submit("chaos-diloco-" + tag, "diloco", List.of("sh", "gy")));
        return jobs;
    }

    private UUID submit(String name, String strategy, List<String> datacenters) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", name);
        spec.put("model", Map.of("layers", 2, "dModel", 96, "heads", 4, "seqLen", 64, "vocabSize", 0));
        spec.put("dataset", Map.of("kind", "bundled", "name", "grammar-en"));
        spec.put("steps", steps);
        spec.put("globalBatch", GLOBAL_BATCH);
        spec.put("learningRate", 0.003);
        spec.put("seed", seed);
        spec.put("strategy", strategy);
        if ("diloco".equals(strategy)) {
            spec.put("sync", Map.of("h", 4, "codec", "int8", "outerLr", 0.7, "outerMomentum", 0.5));
        }
        spec.put("allocation", "balanced");
        spec.put("hashEvery", 4);
        spec.put("checkpoint", Map.of("every", 4));
        spec.put("placement", Map.of("datacenters", datacenters));
        return UUID.fromString(retrying(() -> api.ok(api.post("/api/v1/jobs", spec), "submit " + name))
                .path("id").asString());
    }

    /**
     * Kills one part (chosen by the seed) and starts it again after a short downtime; the recovery time runs from
     * the kill until the part answers again and every running job has gone a step past where it was.
     */
    private Fault inject(int n, Map<String, UUID> jobs, double at) throws Exception {
        String kind = KINDS.get(random.nextInt(KINDS.size()));
        double down = 1 + random.nextInt(5);
        Map<String, Integer> stepsAt = new LinkedHashMap<>();
        jobs.forEach((s, id) -> stepsAt.put(s, step(id)));
        long t0 = System.nanoTime();
        String target;
        switch (kind) {
            case "worker" -> {
                List<DemoCluster.Node> nodes = stack.options().cluster().nodes();
                target = "worker-" + nodes.get(random.nextInt(nodes.size())).id();
                restartService(target, down);
            }
            case "relay" -> {
                List<DemoCluster.Datacenter> dcs = stack.options().cluster().datacenters();
                target = "relay-" + dcs.get(random.nextInt(dcs.size())).id();
                restartService(target, down);
            }
            case "kafka-broker" -> {
                int broker = random.nextInt(stack.kafkaBrokers());
                target = "kafka-" + (broker + 1);
                stack.killBroker(broker);
                sleepSeconds(down);
                stack.startBroker(broker, Duration.ofMinutes(2));
            }
            case "postgres" -> {
                target = ChaosPostgres.CLUSTER;
                postgres.crashAndRestart(Duration.ofMillis((long) (down * 1000)));
                if (!awaitTrue(postgres::answers, Duration.ofMinutes(1))) {
                    throw new IllegalStateException("PostgreSQL did not come back within a minute");
                }
            }
            default -> {
                target = kind;
                restartService(target, down);
            }
        }
        out.printf("  fault %d at %.0f s: %s %s down %.0f s (steps %s)%n", n, at, kind, target, down, stepsAt);
        // recovered: every job that was running has gone past its step at the fault or succeeded; a job that
        // failed or was cancelled there did not recover (waiting stops once each job did one or the other)
        Map<String, JsonNode> seen = new LinkedHashMap<>();
        awaitTrue(() -> {
            jobs.forEach((s, id) -> seen.put(s, jobOrNull(id)));
            return stepsAt.keySet().stream().allMatch(s -> seen.get(s) != null
                    && (isEnded(seen.get(s)) || pastFault(seen.get(s), stepsAt.get(s))));
        }, RECOVERY_LIMIT);
        boolean back = stepsAt.keySet().stream().allMatch(s -> seen.get(s) != null
                && pastFault(seen.get(s), stepsAt.get(s)));
        double recovered = back ? (System.nanoTime() - t0) / 1e9 : Double.NaN;
        out.printf(back ? "    recovered after %.1f s%n" : "    NOT recovered within %.0f s%n",
                back ? recovered : (double) RECOVERY_LIMIT.toSeconds());
        return new Fault(n, kind, target, at, down, recovered, stepsAt);
    }

    private void restartService(String name, double downSeconds) throws Exception {
        stack.service(name).kill();
        sleepSeconds(downSeconds);
        stack.restart(name, Duration.ofMinutes(3));
    }

    private Map<String, JsonNode> awaitAll(Map<String, UUID> jobs, BooleanSupplier between)
            throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + Duration.ofMinutes(30).toNanos();
        long nextReport = start;
        while (!allEnded(jobs)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("jobs " + jobs + " not ended after 30 minutes");
            }
            if (System.nanoTime() >= nextReport) { // long runs show where they are
                nextReport = System.nanoTime() + PROGRESS_EVERY.toNanos();
                StringBuilder line = new StringBuilder("  ");
                jobs.forEach((s, id) -> line.append(s).append(" step ").append(step(id)).append('/').append(steps)
                        .append(", "));
                out.printf("%s%.0f s%n", line, (System.nanoTime() - start) / 1e9);
            }
            if (!between.getAsBoolean()) {
                Thread.sleep(1000);
            }
        }
        Map<String, JsonNode> ends = new LinkedHashMap<>();
        jobs.forEach((s, id) -> ends.put(s, job(id)));
        return ends;
    }

    private boolean allEnded(Map<String, UUID> jobs) {
        return jobs.values().stream().allMatch(id -> {
            JsonNode j = jobOrNull(id);
            return j != null && isEnded(j);
        });
    }

    private static boolean pastFault(JsonNode job, int stepAtFault) {
        return "SUCCEEDED".equals(job.path("state").asString()) || !isEnded(job)
                && job.path("step").asInt() > stepAtFault;
    }

    private static boolean isEnded(JsonNode job) {
        return List.of("SUCCEEDED", "FAILED", "CANCELLED").contains(job.path("state").asString());
    }

    private Map<String, JsonNode> reports(Map<String, UUID> jobs) {
        Map<String, JsonNode> reports = new LinkedHashMap<>();
        jobs.forEach((s, id) -> reports.put(s, retrying(() -> api.ok(api.get("/api/v1/jobs/" + id + "/report"),
                "report of " + id))));
        return reports;
    }

    private int step(UUID id) {
        JsonNode j = jobOrNull(id);
        return j == null ? -1 : j.path("step").asInt();
    }

    private JsonNode job(UUID id) {
        return retrying(() -> api.ok(api.get("/api/v1/jobs/" + id), "job " + id));
    }

    /** The job as the gateway shows it, or null while the gateway (or what is behind it) is down. */
    private JsonNode jobOrNull(UUID id) {
        try {
            ApiClient.Response r = api.get("/api/v1/jobs/" + id);
            return r.status() == 200 ? r.body() : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static double wall(JsonNode job) {
        try {
            return Duration.between(java.time.Instant.parse(job.path("createdAt").asString()),
                    java.time.Instant.parse(job.path("updatedAt").asString())).toMillis() / 1000.0;
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Calls through the gateway, which chaos itself may have just restarted, for up to two minutes. */
    private static <T> T retrying(java.util.function.Supplier<T> call) {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            try {
                return call.get();
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Whether {@code condition} came true within {@code timeout}. */
    private static boolean awaitTrue(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(250);
        }
        return true;
    }

    private static void sleepSeconds(double seconds) throws InterruptedException {
        Thread.sleep((long) (seconds * 1000));
    }
}
