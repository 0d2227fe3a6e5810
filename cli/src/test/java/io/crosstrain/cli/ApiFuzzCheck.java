package io.crosstrain.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Fuzzes every operation of every OpenAPI document of the running stack with tools nobody here wrote. Portman turns
 * each document into a Postman collection: contract tests on every operation (2xx, content type, JSON body, the
 * documented schema), its schema-driven fuzzing, and the variations of {@code portman/portman-config.json} (no
 * credential, a user's key on admin routes, unknown and malformed ids, bodies of the wrong shape, values out of
 * range). Newman runs each collection through the gateway with the admin key and writes a JSON report, read here.
 *
 * <p>A request fails the check when its answer is a 5xx, when it got no answer at all, or when the answer breaks the
 * schema its own document gives for the status it came with. An answer with another status than the variation
 * expected (say 201 where the document also lists 403) is counted and listed, not failed: the schema test of such an
 * answer compares it with the wrong status's schema.
 */
final class ApiFuzzCheck {

    /** Each document as the gateway serves it; the gateway's own only counts when it has operations. */
    static final Map<String, String> DOCUMENTS = documents();
    /** The gateway lets each key make 50 requests a second: pace Newman so the operations, not the limiter, answer. */
    static final int DELAY_MS = 25;
    static final String DATASET = "fuzz-dataset.txt";
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");
    private static final Pattern OPERATION = Pattern.compile("^\\[([A-Z]+)]::(\\S+) - ");

    /** One request worth a look: what was sent and what came back. */
    record Finding(String document, String operation, String variation, String method, String url, String body,
                   int status, String detail, String response) {

        String describe() {
            return String.format("%s %s [%s] -> %s%n      request  %s %s%s%n      %s%n      response %s",
                    method, operation, variation, status == 0 ? "no response" : "HTTP " + status, method, url,
                    body.isEmpty() ? "" : "  body " + body, detail, response);
        }
    }

    record DocumentResult(String document, int operations, int requests, Map<String, Integer> statusClasses,
                          int rateLimited, int unvalidatedSchemas, List<Finding> serverErrors,
                          List<Finding> schemaFailures, List<Finding> unexpectedStatuses) {
    }

    record Result(String gateway, double seconds, List<DocumentResult> documents) {

        List<Finding> serverErrors() {
            return documents.stream().flatMap(d -> d.serverErrors().stream()).toList();
        }

        List<Finding> schemaFailures() {
            return documents.stream().flatMap(d -> d.schemaFailures().stream()).toList();
        }

        void print(PrintStream out) {
            int requests = documents.stream().mapToInt(DocumentResult::requests).sum();
            out.printf("  API fuzz (Portman + Newman) through %s: %d requests in %.0f s%n", gateway, requests, seconds);
            out.printf("  %-17s %10s %8s %5s %5s %5s %5s %5s %5s %7s %10s%n", "document", "operations", "requests",
                    "2xx", "3xx", "4xx", "5xx", "none", "429", "schema", "unexpected");
            for (DocumentResult d : documents) {
                Map<String, Integer> c = d.statusClasses();
                out.printf("  %-17s %10d %8d %5d %5d %5d %5d %5d %5d %7d %10d%n", d.document(), d.operations(),
                        d.requests(), c.getOrDefault("2xx", 0), c.getOrDefault("3xx", 0), c.getOrDefault("4xx", 0),
                        c.getOrDefault("5xx", 0), c.getOrDefault("none", 0), d.rateLimited(),
                        d.schemaFailures().size(), d.unexpectedStatuses().size());
            }
            for (Finding f : serverErrors()) {
                out.println("  5xx: " + f.method() + " " + f.operation() + " [" + f.variation() + "] " + f.status());
            }
            for (Finding f : schemaFailures()) {
                out.println("  schema: " + f.method() + " " + f.operation() + " [" + f.variation() + "] "
                        + f.status() + ": " + excerpt(f.detail(), 160));
            }
        }

        /** Zero 5xx, zero requests without an answer, zero answers outside their documented schema. */
        void assertClean(Path report) {
            List<Finding> bad = new ArrayList<>(serverErrors());
            bad.addAll(schemaFailures());
            StringBuilder listing = new StringBuilder();
            bad.forEach(f -> listing.append(System.lineSeparator()).append("  ").append(f.describe()));
            assertThat(bad).withFailMessage("API fuzz: %d 5xx or unanswered, %d answers outside their schema (%s):%s",
                    serverErrors().size(), schemaFailures().size(), report, listing).isEmpty();
        }
    }

    private final ApiClient admin;
    private final Path home;
    private final JsonMapper json;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    ApiFuzzCheck(LocalStack stack, JsonMapper json) {
        this(stack.api(json), stack.options().home(), json);
    }

    /** @param admin a client of the gateway with the admin key */
    ApiFuzzCheck(ApiClient admin, Path home, JsonMapper json) {
        this.admin = admin;
        this.home = home;
        this.json = json;
    }

    /** Fetches, converts, runs and reads every document; everything it wrote stays in {@code outDir}. */
    Result run(Path outDir) throws Exception {
        long started = System.nanoTime();
        Files.createDirectories(outDir);
        Path config = outDir.resolve("portman-config.json");
        try (InputStream in = ApiFuzzCheck.class.getResourceAsStream("/portman/portman-config.json")) {
            Files.copy(in, config, StandardCopyOption.REPLACE_EXISTING);
        }
        // the upload needs at least 1 KiB of UTF-8 text to be accepted
        Files.writeString(outDir.resolve(DATASET), "the quick brown fox jumps over the lazy dog.\n".repeat(40));
        List<String> variables = variables();

        List<DocumentResult> results = new ArrayList<>();
        for (Map.Entry<String, String> d : DOCUMENTS.entrySet()) {
            String name = d.getKey();
            String raw = fetch(admin.base() + d.getValue());
            Files.writeString(outDir.resolve(name + ".openapi.json"), raw);
            ObjectNode document = (ObjectNode) json.readTree(raw);
            int operations = operations(document);
            if (operations == 0) {
                continue;
            }
            Path input = outDir.resolve(name + ".portman-input.json");
            Files.writeString(input, json.writerWithDefaultPrettyPrinter().writeValueAsString(jsonMediaTypes(document)));
            Path collection = outDir.resolve(name + ".collection.json");
            int portman = exec(outDir, name + ".portman.log", List.of(tool("portman"), "-l", input.toString(), "-b",
                    "{{baseUrl}}", "-c", config.toString(), "-o", collection.toString(), "--logAssignVariables",
                    "false"));
            assertThat(portman).as("portman on %s, see %s.portman.log", name, name).isZero();

            Path report = outDir.resolve(name + ".newman.json");
            List<String> newman = new ArrayList<>(List.of(tool("newman"), "run", collection.toString(),
                    "--delay-request", String.valueOf(DELAY_MS), "--timeout-request", "30000", "--working-dir",
                    outDir.toString(), "--reporters", "json", "--reporter-json-export", report.toString()));
            newman.addAll(variables);
            Files.deleteIfExists(report);
            int code = exec(outDir, name + ".newman.log", newman);
            // 1 only says that some assertion failed: what failed is read from the report
            assertThat(code).as("newman on %s, see %s.newman.log", name, name).isIn(0, 1);
            assertThat(report).exists();
            JsonNode run;
            try (InputStream in = Files.newInputStream(report)) {
                run = json.readTree(in);
            }
            int unvalidated = count(Files.readString(collection), "response is not being validated");
            results.add(read(name, operations, unvalidated, run));
        }
        Result result = new Result(admin.base(), (System.nanoTime() - started) / 1e9, results);
        Files.writeString(outDir.resolve("report.json"), json.writerWithDefaultPrettyPrinter()
                .writeValueAsString(result));
        return result;
    }

    /** Newman's environment: where, as whom, and real ids for the path parameters. */
    private List<String> variables() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("baseUrl", admin.base());
        v.put("adminKey", admin.key());
        v.put("userKey", admin.issueKey("fuzz", "user"));
        JsonNode done = admin.ok(admin.get("/api/v1/jobs?state=SUCCEEDED&limit=1"), "a finished job");
        v.put("jobId", done.isArray() && !done.isEmpty() ? done.get(0).path("id").asString()
                : UUID.randomUUID().toString());
        v.put("longText", "fuzz-\u00fc\u20ac\uD834\uDD1E ".repeat(1000));
        List<String> args = new ArrayList<>();
        v.forEach((key, value) -> args.addAll(List.of("--env-var", key + "=" + value)));
        return args;
    }

    private String fetch(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url).isEqualTo(200);
        return r.body();
    }

    /** The tools folder's pinned copy when there is one, else whatever PATH finds. */
    private String tool(String name) {
        Path pinned = home.resolve(".crosstrain/tools/node_modules/.bin").resolve(name);
        return Files.isExecutable(pinned) ? pinned.toString() : name;
    }

    private static int exec(Path dir, String log, List<String> command) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve(log).toFile()).start();
        } catch (IOException e) {
            throw new AssertionError(command.get(0) + " is not installed (./crosstrain test installs Portman and "
                    + "Newman into .crosstrain/tools)", e);
        }
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(command.get(0) + " did not finish in 3 minutes, see " + dir.resolve(log));
        }
        return p.exitValue();
    }

    static int operations(JsonNode document) {
        int n = 0;
        for (JsonNode path : document.path("paths")) {
            for (String method : path.propertyNames()) {
                n += METHODS.contains(method) ? 1 : 0;
            }
        }
        return n;
    }

    /**
     * springdoc lists an answer whose controller names no media type as {@code *}{@code /*}; the services send JSON
     * there, and Portman checks body and schema only for a JSON media type, so its copy of the document says so.
     */
    static ObjectNode jsonMediaTypes(ObjectNode document) {
        ObjectNode copy = document.deepCopy();
        for (JsonNode path : copy.path("paths")) {
            for (JsonNode operation : path) {
                for (JsonNode response : operation.path("responses")) {
                    if (response.path("content") instanceof ObjectNode content && content.has("*/*")) {
                        content.set("application/json", content.remove("*/*"));
                    }
                }
            }
        }
        return copy;
    }

    /** Sorts every execution of one Newman run into status classes and findings. */
    static DocumentResult read(String document, int operations, int unvalidated, JsonNode run) {
        Map<String, Integer> classes = new TreeMap<>();
        List<Finding> serverErrors = new ArrayList<>();
        List<Finding> schema = new ArrayList<>();
        List<Finding> unexpected = new ArrayList<>();
        int requests = 0;
        int limited = 0;
        for (JsonNode e : run.path("run").path("executions")) {
            requests++;
            int status = e.path("response").path("code").asInt(0);
            classes.merge(status == 0 ? "none" : status / 100 + "xx", 1, Integer::sum);
            limited += status == 429 ? 1 : 0;
            String operation = e.path("item").path("name").asString("");
            boolean statusAsExpected = true;
            String expected = "";
            String schemaError = null;
            for (JsonNode a : e.path("assertions")) {
                String name = a.path("assertion").asString("");
                Matcher m = OPERATION.matcher(name);
                if (m.find()) {
                    operation = m.group(2).replaceAll(":(\\w+)", "{$1}"); // Postman's :id back to OpenAPI's {id}
                }
                if (name.endsWith("Status code is 2xx") || name.contains("Response status code is ")) {
                    statusAsExpected &= !a.has("error");
                    expected = name.substring(name.lastIndexOf(" is ") + 4);
                }
                if (name.endsWith("Schema is valid") && a.has("error")) {
                    schemaError = a.path("error").path("message").asString("")
                            .replace("expected data to satisfy schema but found following errors:", "").strip();
                }
            }
            if (status == 0 || status >= 500) {
                String why = status == 0 ? "no response: " + e.path("requestError").path("message").asString("")
                        : "server error";
                serverErrors.add(finding(document, operation, e, status, why));
            } else if (!statusAsExpected) {
                unexpected.add(finding(document, operation, e, status, "expected " + expected));
            } else if (schemaError != null) {
                schema.add(finding(document, operation, e, status, schemaError));
            }
        }
        return new DocumentResult(document, operations, requests, classes, limited, unvalidated, serverErrors,
                schema, unexpected);
    }

    private static Finding finding(String document, String operation, JsonNode e, int status, String detail) {
        JsonNode request = e.path("request");
        return new Finding(document, operation, variation(e.path("item").path("name").asString("")),
                request.path("method").asString(""), url(request.path("url")), body(request.path("body")), status,
                detail, excerpt(text(e.path("response").path("stream").path("data")), 600));
    }

    /** Portman names a variation's request after the operation's summary, then {@code [variation][fuzz]}. */
    static String variation(String itemName) {
        int open = itemName.indexOf('[');
        return open < 0 ? "contract" : itemName.substring(open).replace("][", ", ").replaceAll("^\\[|]$", "");
    }

    static String url(JsonNode url) {
        StringBuilder s = new StringBuilder(url.path("protocol").asString("http")).append("://");
        List<String> host = new ArrayList<>();
        url.path("host").forEach(h -> host.add(h.asString("")));
        s.append(String.join(".", host));
        if (!url.path("port").asString("").isEmpty()) {
            s.append(':').append(url.path("port").asString(""));
        }
        url.path("path").forEach(p -> s.append('/').append(p.asString("")));
        List<String> query = new ArrayList<>();
        for (JsonNode q : url.path("query")) {
            if (!q.path("disabled").asBoolean(false)) {
                query.add(q.path("key").asString("") + "=" + q.path("value").asString(""));
            }
        }
        return query.isEmpty() ? s.toString() : s + "?" + String.join("&", query);
    }

    static String body(JsonNode body) {
        return switch (body.path("mode").asString("")) {
            case "raw" -> excerpt(body.path("raw").asString("").replaceAll("\\s*\\n\\s*", " "), 1500);
            case "formdata" -> "multipart " + body.path("formdata").toString();
            default -> "";
        };
    }

    /** Newman keeps the answer as a Buffer's bytes. */
    private static String text(JsonNode bytes) {
        byte[] b = new byte[Math.min(bytes.size(), 4096)];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) bytes.get(i).asInt();
        }
        return new String(b, StandardCharsets.UTF_8);
    }

    static String excerpt(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "... (" + s.length() + " chars)";
    }

    private static int count(String haystack, String needle) {
        int n = 0;
        for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    private static Map<String, String> documents() {
        Map<String, String> docs = new LinkedHashMap<>();
        docs.put("job-api", "/openapi/job-api");
        docs.put("device-inventory", "/openapi/device-inventory");
        docs.put("scheduler", "/openapi/scheduler");
        docs.put("gateway", "/v3/api-docs");
        return docs;
    }
}
