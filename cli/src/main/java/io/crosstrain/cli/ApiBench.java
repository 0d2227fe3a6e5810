package io.crosstrain.cli;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Many clients submitting through the gateway at once, each with its own tenant key and an Idempotency-Key per job;
 * a share of the submits is sent twice on purpose. Afterwards every tenant's jobs are read back: each key must have
 * made exactly one job (none lost, none duplicated). The jobs name a datacenter no cluster has, so they wait in the
 * queue and fail after the scheduler's device wait without taking a device from anyone. The clients send at an
 * offered rate (open loop), so the latency is what a request meets at that load, not how deep a closed loop of 100
 * clients can queue up a 2-core machine.
 */
final class ApiBench {

    /**
     * @param offeredPerSecond the submits per second the clients aimed at together (open loop: each request has its
     *                         time; a late answer delays the client's next request, and the delay counts in the
     *                         latency, which is measured from when the request was due)
     */
    record Result(int clients, int jobs, int repeated, int requests, int lost, int duplicated, int mismatched,
                  int errors, int rateLimited, double offeredPerSecond, double seconds, double p50Ms, double p90Ms,
                  double p99Ms, double maxMs, double requestsPerSecond, Map<Integer, Integer> statuses,
                  String firstError) {
    }

    private final ApiClient admin;
    private final JsonMapper json;
    private final PrintStream out;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .executor(Executors.newFixedThreadPool(8)).build();

    ApiBench(ApiClient admin, JsonMapper json, PrintStream out) {
        this.admin = admin;
        this.json = json;
        this.out = out;
    }

    Result run(int clients, int jobs, double repeatShare, double perSecond, long seed) throws Exception {
        String run = Long.toString(seed, 36) + Long.toString(System.currentTimeMillis() % 1_000_000, 36);
        List<String> keys = new ArrayList<>();
        List<String> tenants = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            String tenant = "bench-" + run + "-" + (c % 10); // ten tenants, so reads are per tenant too
            tenants.add(tenant);
            keys.add(issueKey(tenant));
        }
        ObjectNode spec = spec();
        warmUp(keys, perSecond);
        Map<String, String> jobOfKey = new ConcurrentHashMap<>();
        AtomicInteger mismatched = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger rateLimited = new AtomicInteger();
        AtomicInteger repeated = new AtomicInteger();
        Map<Integer, Integer> statuses = new java.util.concurrent.ConcurrentSkipListMap<>();
        java.util.concurrent.atomic.AtomicReference<String> firstError = new java.util.concurrent.atomic
                .AtomicReference<>();
        long[][] latencies = new long[clients][];
        SplittableRandom random = new SplittableRandom(seed);
        long[] seeds = random.longs(clients).toArray();

        long start = System.nanoTime() + 200_000_000L; // every client's thread started before the first is due
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                int share = jobs / clients + (c < jobs % clients ? 1 : 0);
                done.add(pool.submit(() -> {
                    SplittableRandom r = new SplittableRandom(seeds[client]);
                    List<Long> mine = new ArrayList<>();
                    long slot = 0;
                    for (int j = 0; j < share; j++) {
                        String key = run + "-c" + client + "-j" + j;
                        int sends = r.nextDouble() < repeatShare ? 2 : 1;
                        if (sends == 2) {
                            repeated.incrementAndGet();
                        }
                        for (int s = 0; s < sends; s++) {
                            // the clients' requests interleave evenly at the offered rate
                            long due = start + (long) ((client + slot++ * (double) clients) * 1e9 / perSecond);
                            long wait = due - System.nanoTime();
                            if (wait > 0) {
                                sleep(wait / 1_000_000);
                            }
                            long t0 = Math.min(due, System.nanoTime());
                            HttpResponse<String> resp = submit(keys.get(client), key, spec);
                            mine.add(System.nanoTime() - t0);
                            statuses.merge(resp.statusCode(), 1, Integer::sum);
                            if (resp.statusCode() == 429) {
                                rateLimited.incrementAndGet();
                                s--; // the same submit again, as a client honouring Retry-After would
                                sleep(1000);
                                continue;
                            }
                            if (resp.statusCode() != 200 && resp.statusCode() != 201) {
                                errors.incrementAndGet();
                                firstError.compareAndSet(null, resp.statusCode() + " " + resp.body());
                                continue;
                            }
                            String id = json.readTree(resp.body()).path("id").asString();
                            String first = jobOfKey.putIfAbsent(key, id);
                            if (first != null && !first.equals(id)) {
                                mismatched.incrementAndGet();
                            }
                        }
                    }
                    latencies[client] = mine.stream().mapToLong(Long::longValue).toArray();
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        // read back: every tenant's jobs, as its own clients see them
        Set<String> seenIds = new HashSet<>();
        for (String tenant : new HashSet<>(tenants)) {
            String key = keys.get(tenants.indexOf(tenant));
            for (JsonNode job : list(key)) {
                seenIds.add(job.path("id").asString());
            }
        }
        int lost = (int) jobOfKey.values().stream().filter(id -> !seenIds.contains(id)).count()
                + (jobs - jobOfKey.size());
        int duplicated = seenIds.size() - new HashSet<>(jobOfKey.values()).size();

        long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
        Result result = new Result(clients, jobs, repeated.get(), all.length, lost, Math.max(0, duplicated),
                mismatched.get(), errors.get(), rateLimited.get(), perSecond, seconds, pct(all, 0.50),
                pct(all, 0.90), pct(all, 0.99), all.length == 0 ? 0 : all[all.length - 1] / 1e6, all.length / seconds,
                statuses, firstError.get());
        print(result);
        return result;
    }

    /**
     * Not counted: every client reads once and sends one submit its spec makes invalid, at the offered rate, so the
     * gateway's and job-api's code paths are compiled and every key is known before the clock starts.
     */
    private void warmUp(List<String> keys, double perSecond) throws Exception {
        ObjectNode invalid = spec().put("steps", -1);
        long start = System.nanoTime();
        for (int i = 0; i < keys.size() * 2; i++) {
            long wait = start + (long) (i * 1e9 / perSecond) - System.nanoTime();
            if (wait > 0) {
                sleep(wait / 1_000_000);
            }
            String key = keys.get(i / 2);
            if (i % 2 == 0) {
                list(key);
            } else {
                submit(key, "warm-up-" + i, invalid);
            }
        }
    }

    /** The admin key has its own rate limit: honour a 429 as a client should. */
    private String issueKey(String tenant) {
        for (int attempt = 0; ; attempt++) {
            ApiClient.Response r = admin.post("/api/v1/tenants/" + tenant + "/keys", Map.of("role", "user"));
            if (r.status() != 429 || attempt > 30) {
                return admin.ok(r, "issuing a key for " + tenant).path("key").asString();
            }
            sleep(1000);
        }
    }

    private ObjectNode spec() {
        ObjectNode spec = json.createObjectNode();
        spec.put("name", "api-bench");
        spec.putObject("model").put("layers", 2).put("dModel", 96).put("heads", 4).put("seqLen", 64)
                .put("vocabSize", 0);
        spec.putObject("dataset").put("kind", "bundled").put("name", "grammar-en");
        spec.put("steps", 2).put("globalBatch", 88).put("learningRate", 0.003).put("seed", 7)
                .put("strategy", "sync-dp").put("allocation", "balanced").put("hashEvery", 1);
        // no cluster has this datacenter: the job waits in the queue, then fails, and never takes a device
        spec.putObject("placement").putArray("datacenters").add("api-bench-nowhere");
        return spec;
    }

    private HttpResponse<String> submit(String key, String idempotencyKey, ObjectNode spec) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(admin.base() + "/api/v1/jobs"))
                .header("Authorization", "Bearer " + key).header("Idempotency-Key", idempotencyKey)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(spec))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private List<JsonNode> list(String key) throws Exception {
        List<JsonNode> jobs = new ArrayList<>();
        for (int offset = 0; ; offset += 500) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(admin.base()
                            + "/api/v1/jobs?limit=500&offset=" + offset)).header("Authorization", "Bearer " + key)
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 429) {
                sleep(1000);
                offset -= 500;
                continue;
            }
            if (r.statusCode() != 200) {
                throw new IllegalStateException("listing jobs failed with HTTP " + r.statusCode() + ": " + r.body());
            }
            JsonNode page = json.readTree(r.body());
            page.forEach(jobs::add);
            if (page.size() < 500) {
                return jobs;
            }
        }
    }

    private void print(Result r) {
        out.printf("API bench (through the gateway, %d clients, one tenant key each, 10 tenants)%n", r.clients());
        out.printf("  jobs %d (%d submits sent twice with the same Idempotency-Key), %d requests in %.1f s: %.0f "
                + "requests/s (offered %.0f/s)%n", r.jobs(), r.repeated(), r.requests(), r.seconds(),
                r.requestsPerSecond(), r.offeredPerSecond());
        out.printf("  statuses %s%s%n", r.statuses(), r.firstError() == null ? "" : "; first error: "
                + r.firstError().substring(0, Math.min(300, r.firstError().length())));
        out.printf("  submit latency  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms%n", r.p50Ms(), r.p90Ms(),
                r.p99Ms(), r.maxMs());
        out.printf("  lost %d  duplicated %d  repeat answered with another job %d  errors %d  429s %d%n", r.lost(),
                r.duplicated(), r.mismatched(), r.errors(), r.rateLimited());
    }

    private static double pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
