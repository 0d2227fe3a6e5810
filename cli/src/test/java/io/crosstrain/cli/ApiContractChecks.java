package io.crosstrain.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.crosstrain.localinfra.KafkaGrants;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * What DemoEndToEndIT checks of the public API on its running stack: credentials and tenants through the real
 * gateway and job-api, submit-watch-cancel by curl-style REST (with Server-Sent Events) and by Kafka's console
 * producer on the command topic, and the OpenAPI documents against Redocly's linter.
 */
final class ApiContractChecks {

    private final LocalStack stack;
    private final JsonMapper json;
    private final ApiClient admin;
    private final Path home;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ApiContractChecks(LocalStack stack, JsonMapper json) {
        this.stack = stack;
        this.json = json;
        this.admin = stack.api(json);
        this.home = stack.options().home();
    }

    ObjectNode example(String file) throws IOException {
        return (ObjectNode) json.readTree(Files.readString(home.resolve("examples").resolve(file)));
    }

    /** 401 without or with a wrong key; 403 for a user on admin routes; 404 for another tenant's job. */
    void credentialsAndTenants() throws Exception {
        DemoRunner.prepareCluster(stack, System.out, Duration.ofMinutes(3));
        ApiClient anonymous = admin.as(null);
        ApiClient wrong = admin.as("ctk_this-key-was-never-issued");
        for (ApiClient nobody : List.of(anonymous, wrong)) {
            assertThat(nobody.get("/api/v1/jobs").status()).isEqualTo(401);
            assertThat(nobody.post("/api/v1/jobs", example("job-demo.json")).status()).isEqualTo(401);
            assertThat(nobody.get("/api/v1/devices").status()).isEqualTo(401);
            ApiClient.Response r = nobody.post("/api/v1/datacenters", Map.of("id", "evil", "name", "Evil"));
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.body().path("field").asString()).isEqualTo("Authorization");
        }
        servicePortsRefuseCallsWithoutACallerToken();
        eachServiceSeesOnlyItsOwnSchema();
        ApiClient acme = admin.as(admin.issueKey("acme", "user"));
        ApiClient globex = admin.as(admin.issueKey("globex", "user"));

        ObjectNode spec = example("job-demo.json");
        spec.put("name", "tenant-check");
        spec.put("steps", 2);
        JsonNode job = acme.ok(acme.post("/api/v1/jobs", spec), "acme submit");
        String id = job.path("id").asString();
        assertThat(job.path("tenant").asString()).isEqualTo("acme");

        for (String path : List.of("", "/report", "/plan", "/metrics", "/history")) {
            assertThat(globex.get("/api/v1/jobs/" + id + path).status()).as("globex GET %s", path).isEqualTo(404);
        }
        assertThat(globex.post("/api/v1/jobs/" + id + "/cancel", Map.of()).status()).isEqualTo(404);
        tenantIsolationOnEveryRoute(globex, id);
        assertThat(ids(globex.ok(globex.get("/api/v1/jobs?limit=1000"), "globex list"))).doesNotContain(id);
        assertThat(ids(acme.ok(acme.get("/api/v1/jobs?limit=1000"), "acme list"))).contains(id);
        assertThat(acme.post("/api/v1/datacenters", Map.of("id", "evil", "name", "Evil")).status()).isEqualTo(403);
        assertThat(acme.post("/api/v1/tenants/acme/keys", Map.of()).status()).isEqualTo(403);
        assertThat(acme.get("/api/v1/devices").status()).isEqualTo(200);
        // a service identity (here the CLI's) is no admin and no tenant: job-api shows it no job
        ApiClient cli = stack.service(stack.options().jobApi(), json);
        assertThat(cli.get("/api/v1/jobs?limit=1000").status()).isEqualTo(403);
        assertThat(cli.get("/api/v1/jobs/" + id).status()).isEqualTo(403);

        E2e.awaitJob(acme, UUID.fromString(id), j -> "SUCCEEDED".equals(j.path("state").asString()),
                Duration.ofMinutes(3));
        assertThat(acme.get("/api/v1/jobs/" + id + "/report").status()).isEqualTo(200);
        assertThat(globex.get("/api/v1/jobs/" + id + "/report").status()).isEqualTo(404);
    }

    /**
     * The services' own ports, reached directly as from another host of a datacenter: 401 without a credential, with
     * an API key (only the gateway takes those) and with a caller token signed by a key the stack does not have.
     */
    private void servicePortsRefuseCallsWithoutACallerToken() {
        LocalStack.Options o = stack.options();
        String forged = new io.crosstrain.auth.CallerTokens(io.crosstrain.auth.ServiceKeys.of(
                io.crosstrain.auth.ServiceKeys.generate())).sign(new io.crosstrain.auth.CallerScope("forged",
                "default", io.crosstrain.auth.CallerScope.Role.ADMIN));
        Map<Integer, String> routes = Map.of(o.jobApi(), "/api/v1/jobs", o.inventory(), "/api/v1/devices",
                o.scheduler(), "/api/v1/queue", o.worker(0), "/api/v1/worker");
        for (Map.Entry<Integer, String> route : routes.entrySet()) {
            for (String credential : java.util.Arrays.asList(null, stack.adminKey(), forged)) {
                ApiClient direct = new ApiClient("http://127.0.0.1:" + route.getKey(), json, credential);
                ApiClient.Response r = direct.get(route.getValue());
                assertThat(r.status()).as("%s on port %d with %s", route.getValue(), route.getKey(),
                        credential == null ? "no credential" : credential == forged ? "a forged token" : "the admin key")
                        .isEqualTo(401);
                assertThat(r.body().path("field").asString()).isEqualTo("Authorization");
            }
        }
    }

    /**
     * Every GET operation of every service's OpenAPI document, as another tenant: one that names a job by its id
     * answers 4xx for acme's job, and no answer of theirs shows acme's job id anywhere in its body.
     */
    private void tenantIsolationOnEveryRoute(ApiClient other, String acmeJob) throws Exception {
        int checked = 0;
        for (String service : List.of("job-api", "scheduler", "device-inventory")) {
            JsonNode doc = json.readTree(http.send(HttpRequest.newBuilder(URI.create(admin.base() + "/openapi/"
                    + service)).GET().build(), HttpResponse.BodyHandlers.ofString()).body());
            for (Map.Entry<String, JsonNode> path : doc.path("paths").properties()) {
                if (!path.getValue().has("get") || path.getKey().endsWith("/events")) {
                    continue; // the event stream is checked by restSubmitWatchCancel; here only one-shot reads
                }
                String template = path.getKey();
                boolean namesAJob = template.contains("{jobId}") || template.startsWith("/api/v1/jobs/{id}");
                String concrete = template.replaceAll("\\{(jobId|id)}", acmeJob).replaceAll("\\{[^}]+}", "x");
                ApiClient.Response r = other.get(concrete);
                assertThat(r.status()).as("%s %s as another tenant", service, concrete).isLessThan(500);
                if (namesAJob) {
                    assertThat(r.status()).as("%s %s as another tenant", service, concrete).isBetween(400, 499);
                }
                if (r.status() / 100 == 2) { // a refusal may echo the id it was asked for; an answer may not show it
                    assertThat(r.raw() == null ? "" : r.raw()).as("%s %s as another tenant", service, concrete)
                            .doesNotContain(acmeJob);
                }
                checked++;
            }
        }
        assertThat(checked).as("GET operations checked").isGreaterThan(15);
    }

    /** Each stateful service logs in as its own PostgreSQL role, which owns its schema and may read no other. */
    private void eachServiceSeesOnlyItsOwnSchema() throws java.sql.SQLException {
        Map<String, String> ownTable = Map.of("job-api", "job_api.jobs", "scheduler", "scheduler.plans",
                "device-inventory", "inventory.devices", "gateway", "gateway.api_keys");
        for (Map.Entry<String, String> service : ownTable.entrySet()) {
            var login = stack.dbLogin(service.getKey());
            assertThat(login).as("%s has its own role", service.getKey()).isNotNull();
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(stack.databaseUrl(), login.user(),
                    login.password()); java.sql.Statement st = c.createStatement()) {
                st.executeQuery("SELECT count(*) FROM " + service.getValue()).close();
                for (String other : ownTable.values()) {
                    if (!other.equals(service.getValue())) {
                        org.assertj.core.api.Assertions.assertThatThrownBy(
                                        () -> st.executeQuery("SELECT count(*) FROM " + other))
                                .as("%s reading %s", login.user(), other)
                                .hasMessageContaining("permission denied");
                    }
                }
            }
        }
    }

    /**
     * REST as curl would use it: submit the README's example (longer, sync DP), follow its events until it runs,
     * cancel it, and see every device stop after the same step.
     */
    void restSubmitWatchCancel() throws Exception {
        DemoRunner.prepareCluster(stack, System.out, Duration.ofMinutes(3));
        ApiClient user = admin.as(admin.issueKey("acme", "user"));
        ObjectNode spec = example("job-demo.json");
        spec.put("name", "rest-cancel");
        spec.put("steps", 2000);
        spec.put("strategy", "sync-dp");
        UUID id = UUID.fromString(user.ok(user.post("/api/v1/jobs", spec), "submit").path("id").asString());

        List<String> seen = new ArrayList<>();
        HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(
                        URI.create(user.base() + "/api/v1/jobs/" + id + "/events"))
                .header("Authorization", "Bearer " + keyOf(user)).header("Accept", "text/event-stream").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        CompletableFuture<Boolean> running = CompletableFuture.supplyAsync(() -> readUntil(stream.body(), seen,
                "\"to\":\"RUNNING\""));
        assertThat(running.get(3, TimeUnit.MINUTES)).as("events seen: %s", seen).isTrue();
        assertThat(String.join("\n", seen)).contains("event:state", "\"to\":\"SCHEDULED\"");

        JsonNode cancelled = user.ok(user.post("/api/v1/jobs/" + id + "/cancel", Map.of("reason", "e2e cancel")),
                "cancel");
        assertThat(cancelled.path("state").asString()).isIn("CANCELLING", "CANCELLED");
        JsonNode end = E2e.awaitJob(user, id, j -> "CANCELLED".equals(j.path("state").asString()),
                Duration.ofMinutes(4));
        assertThat(end.path("step").asInt()).isLessThan(2000);
        assertLastStepsAgree(user, id);
    }

    /**
     * Kafka's console producer, a client we did not write, submits the example command with a tenant's API key in
     * its credential header and later cancels that job; commands without a credential, with another tenant's key
     * and with a key the gateway never issued change nothing.
     */
    void consoleProducerSubmitWatchCancel() throws Exception {
        DemoRunner.prepareCluster(stack, System.out, Duration.ofMinutes(3));
        String acme = admin.issueKey("acme", "user");
        String globex = admin.issueKey("globex", "user");
        JsonNode command = example("job-command-submit.json");
        UUID id = UUID.fromString(command.path("jobId").asString());
        String submit = Files.readString(home.resolve("examples/job-command-submit.json")).strip();
        consoleProducer(id.toString(), submit, null);
        consoleProducer(id.toString(), submit, "ctk_never-issued");
        consoleProducer(id.toString(), submit, acme);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (admin.get("/api/v1/jobs/" + id).status() == 404) { // job-api consumes the command asynchronously
            assertThat(System.nanoTime()).as("job %s never appeared", id).isLessThan(deadline);
            Thread.sleep(250);
        }
        assertThat(admin.ok(admin.get("/api/v1/jobs/" + id), "job").path("tenant").asString()).isEqualTo("acme");

        E2e.awaitJob(admin, id, j -> List.of("RUNNING", "SUCCEEDED").contains(j.path("state").asString()),
                Duration.ofMinutes(3));
        String cancel = "{\"type\":\"cancel\",\"jobId\":\"" + id + "\",\"reason\":\"%s\"}";
        consoleProducer(id.toString(), cancel.formatted("no credential"), null);
        consoleProducer(id.toString(), cancel.formatted("another tenant"), globex);
        consoleProducer(id.toString(), cancel.formatted("cancelled with the console producer"), acme);
        // auto across three datacenters is DiLoCo: the replicas stop after the next outer round, which for this
        // 20-step example is its last step; a cancel that came first still ends the job as cancelled
        JsonNode end = E2e.awaitJob(admin, id, j -> "CANCELLED".equals(j.path("state").asString()),
                Duration.ofMinutes(4));
        List<String> states = new ArrayList<>();
        List<String> cancelReasons = new ArrayList<>();
        for (JsonNode h : admin.ok(admin.get("/api/v1/jobs/" + id + "/history"), "history")) {
            states.add(h.path("to").asString());
            if (h.path("to").asString().startsWith("CANCEL")) {
                cancelReasons.add(h.path("reason").asString());
            }
        }
        assertThat(states).containsSubsequence("RUNNING", "CANCELLING", "CANCELLED").doesNotContain("SUCCEEDED");
        // the cancels without a credential and with globex's key, sent first, changed nothing
        assertThat(cancelReasons).isNotEmpty().allMatch(r -> r.contains("cancelled with the console producer")
                || !r.contains("credential") && !r.contains("another tenant"));
        assertThat(end.path("spec").path("name").asString()).isEqualTo("kafka-demo");
    }

    /** Fetches every OpenAPI document and runs {@code redocly lint} over them; keeps documents and output. */
    String lintOpenApi(Path outDir) throws Exception {
        Files.createDirectories(outDir);
        Map<String, String> docs = Map.of(
                "job-api", admin.base() + "/openapi/job-api",
                "device-inventory", admin.base() + "/openapi/device-inventory",
                "scheduler", admin.base() + "/openapi/scheduler",
                "gateway", admin.base() + "/v3/api-docs",
                "gpu-worker", "http://127.0.0.1:" + stack.options().worker(0) + "/v3/api-docs");
        List<String> command = new ArrayList<>(List.of("redocly", "lint", "--format", "stylish"));
        for (Map.Entry<String, String> d : docs.entrySet()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(d.getValue())).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(d.getValue()).isEqualTo(200);
            Path file = outDir.resolve(d.getKey() + ".json");
            Files.writeString(file, r.body());
            command.add(file.toString());
        }
        Process p;
        try {
            p = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("redocly is not installed (./crosstrain test installs it into .crosstrain/tools)",
                    e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        Files.writeString(outDir.resolve("lint.txt"), output);
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).as(output).doesNotContainPattern("(?m)\\b[1-9][0-9]* warnings?\\b");
        return output;
    }

    /**
     * Sends one keyed record with Kafka's own console producer ({@code kafka-console-producer.sh} runs the same
     * class), started as its own process from the Maven class path: no install needed, and none of our code in it.
     * It logs in as the stack's automation principal, which may write job commands and nothing else.
     */
    private void consoleProducer(String key, String value, String credential) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                "org.apache.kafka.tools.ConsoleProducer", "--bootstrap-server", stack.kafkaBootstrap(),
                "--producer.config", stack.kafkaPropertiesFile(KafkaGrants.AUTOMATION).toString(),
                "--topic", "crosstrain.job-commands", "--property", "parse.key=true",
                "--property", "key.separator=\t"));
        String line = key + "\t" + value;
        if (credential != null) { // headers first on the line: "name:value<TAB>key<TAB>value"
            command.addAll(List.of("--property", "parse.headers=true", "--property", "headers.delimiter=\t"));
            line = "crosstrain-credential:" + credential + "\t" + line;
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as("kafka console producer: %s", out).isZero();
    }

    private void assertLastStepsAgree(ApiClient user, UUID id) {
        Set<Integer> lastSteps = new HashSet<>();
        Set<String> hashes = new HashSet<>();
        for (JsonNode m : user.ok(user.get("/api/v1/jobs/" + id + "/metrics?limit=50000"), "metrics")) {
            if (m.path("last").asBoolean()) {
                lastSteps.add(m.path("step").asInt());
                hashes.add(m.path("weightsHash").asString());
            }
        }
        assertThat(lastSteps).as("every device stopped after the same step").hasSize(1);
        assertThat(hashes).as("and with the same weights").hasSize(1);
    }

    private static boolean readUntil(InputStream body, List<String> seen, String wanted) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                seen.add(line);
                if (line.contains(wanted)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private static String keyOf(ApiClient client) {
        return client.key();
    }

    private static List<String> ids(JsonNode jobs) {
        List<String> ids = new ArrayList<>();
        jobs.forEach(j -> ids.add(j.path("id").asString()));
        return ids;
    }
}
