package io.crosstrain.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Starts the gateway on a random port with its three upstreams pointed at small JDK HTTP servers that answer with
 * their own name, the method, the path with query, and the request body. Each route prefix must reach the right one
 * with everything intact. Requests carry the bootstrap admin key; GatewaySecurityTest covers who may do what.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GatewayRoutingTest {

    static final String ADMIN_KEY = "ctk_routing-test-admin-key";
    static final EchoUpstream.Trio UPSTREAMS = new EchoUpstream.Trio();

    final HttpClient client = HttpClient.newHttpClient();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void upstreams(DynamicPropertyRegistry r) {
        UPSTREAMS.register(r, ADMIN_KEY);
        r.add("crosstrain.gateway.security.rate-limit.requests", () -> 10_000);
    }

    @AfterAll
    static void stop() {
        UPSTREAMS.close();
    }

    @ParameterizedTest
    @CsvSource({
            "/api/v1/jobs, job-api",
            "/api/v1/jobs/3f1c2a9e-0000-4000-8000-000000000001/report, job-api",
            "/api/v1/models, job-api",
            "/api/v1/datacenters, inventory",
            "/api/v1/datacenters/bj/links, inventory",
            "/api/v1/devices, inventory",
            "/api/v1/devices/bj-a100-0, inventory",
            "/api/v1/chips, inventory",
            "/api/v1/chips/h20, inventory",
            "/api/v1/links, inventory",
            "/api/v1/links/bj/sh, inventory",
            "/api/v1/nodes, inventory",
            "/api/v1/nodes/bj-node-1, inventory",
            "/api/v1/profiles, inventory",
            "/api/v1/devices/bj-a100-0/events, inventory",
            "/api/v1/plans, scheduler",
            "/api/v1/plans/3f1c2a9e-0000-4000-8000-000000000001, scheduler",
            "/api/v1/queue, scheduler"})
    void getReachesTheOwningServiceWithQueryIntact(String path, String upstream) throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(gateway(path + "?limit=5&state=RUNNING")).GET());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(upstream + " GET " + path + "?limit=5&state=RUNNING\n");
    }

    @ParameterizedTest
    @CsvSource({
            "/api/v1/jobs, job-api",
            "/api/v1/jobs/abc/cancel, job-api",
            "/api/v1/datasets, job-api",
            "/api/v1/datacenters, inventory",
            "/api/v1/devices/d1/profile, inventory",
            "/api/v1/chips, inventory",
            "/api/v1/links, inventory",
            "/api/v1/nodes, inventory",
            "/api/v1/plans/simulate, scheduler"})
    void postReachesTheOwningServiceWithBodyIntact(String path, String upstream) throws Exception {
        String body = "{\"name\":\"tiny\",\"steps\":3,\"note\":\"ünïcode ✓\"}";
        HttpResponse<String> response = send(HttpRequest.newBuilder(gateway(path + "?dryRun=true"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(upstream + " POST " + path + "?dryRun=true\n" + body);
    }

    @ParameterizedTest
    @CsvSource({
            "/openapi/job-api, job-api",
            "/openapi/device-inventory, inventory",
            "/openapi/scheduler, scheduler"})
    void eachServicesOpenApiDocumentIsReachableUnderItsName(String path, String upstream) throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(gateway(path)).GET());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(upstream + " GET /v3/api-docs\n");
    }

    @Test
    void swaggerUiListsEveryServicesDocument() throws Exception {
        HttpResponse<String> ui = send(HttpRequest.newBuilder(gateway("/swagger-ui/index.html")).GET());
        assertThat(ui.statusCode()).isEqualTo(200);
        assertThat(ui.body()).contains("swagger-ui");

        HttpResponse<String> config = send(HttpRequest.newBuilder(gateway("/v3/api-docs/swagger-config")).GET());
        assertThat(config.statusCode()).isEqualTo(200);
        assertThat(config.body()).contains("/openapi/job-api", "/openapi/device-inventory", "/openapi/scheduler");
    }

    @Test
    void unknownPathsAreNotForwarded() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(gateway("/api/v1/jobsx")).GET());

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).doesNotContain("job-api GET");
    }

    @Test
    void servesTheIndexPageAndHealth() throws Exception {
        HttpResponse<String> index = send(HttpRequest.newBuilder(gateway("/")).GET());
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.body()).contains("CrossTrain", "/api/v1/jobs", "/api/v1/plans/{jobId}");

        HttpResponse<String> health = send(HttpRequest.newBuilder(gateway("/actuator/health")).GET());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"");
    }

    @Test
    void exposesPrometheusMetricsTaggedWithTheApplication() throws Exception {
        // a routed request first, so the gateway has timed one
        assertThat(send(HttpRequest.newBuilder(gateway("/api/v1/jobs")).GET()).statusCode()).isEqualTo(200);

        HttpResponse<String> scrape = send(HttpRequest.newBuilder(gateway("/actuator/prometheus")).GET());
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("text/plain"));
        assertThat(scrape.body()).contains("jvm_memory_used_bytes{application=\"gateway\"",
                "http_server_requests_seconds_count{application=\"gateway\"");
    }

    /** The web UI is served from the gateway itself: its scripts and styles, and nothing from another host. */
    @Test
    void servesTheWebUiWithoutOffSiteAssets() throws Exception {
        String index = send(HttpRequest.newBuilder(gateway("/")).GET()).body();
        List<String> scripts = List.of("js/charts.js", "js/core.js", "js/plan.js", "js/cluster.js", "js/jobs.js",
                "js/submit.js");
        for (String script : scripts) {
            assertThat(index).contains("src=\"" + script + "\"");
        }
        assertThat(index).contains("href=\"css/app.css\"");
        assertThat(index).doesNotContainPattern("(src|href)=\"(https?:)?//");
        List<String[]> assets = new ArrayList<>();
        scripts.forEach(script -> assets.add(new String[] {"/" + script, "javascript"}));
        assets.add(new String[] {"/css/app.css", "text/css"});
        for (String[] asset : assets) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(gateway(asset[0])).GET());
            assertThat(r.statusCode()).as(asset[0]).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type").orElse("")).as(asset[0]).contains(asset[1]);
            assertThat(r.body()).as(asset[0]).doesNotContain("EventSource(");
        }
        String core = send(HttpRequest.newBuilder(gateway("/js/core.js")).GET()).body();
        assertThat(core).contains("Authorization: `Bearer ${key}`");
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return client.send(request.header("Authorization", "Bearer " + ADMIN_KEY).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private URI gateway(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port + pathAndQuery);
    }
}
