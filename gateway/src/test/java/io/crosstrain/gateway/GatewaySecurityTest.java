package io.crosstrain.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gateway's credentials, roles and rate limit against the real PostgreSQL key table. Upstreams are echo servers
 * that report what reached them, so a test can tell a refused request from a forwarded one.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "logging.level.org.springframework.security=DEBUG",
        "logging.level.org.springframework.web=DEBUG",
        "logging.level.org.springframework.cloud.gateway=DEBUG"})
@ExtendWith(OutputCaptureExtension.class)
class GatewaySecurityTest {

    static final String ADMIN_KEY = "ctk_security-test-admin-key";
    static final String JWT_SECRET = "a-test-secret-of-at-least-32-bytes-for-hs256";
    static final int LIMIT = 15;
    static final EchoUpstream.Trio UPSTREAMS = new EchoUpstream.Trio();

    final HttpClient client = HttpClient.newHttpClient();
    final JsonMapper json = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        UPSTREAMS.register(r, ADMIN_KEY);
        r.add("crosstrain.gateway.security.jwt-secret", () -> JWT_SECRET);
        // per hour: only the rate-limit test may run into it, each test uses keys of its own
        r.add("crosstrain.gateway.security.rate-limit.requests", () -> LIMIT);
        r.add("crosstrain.gateway.security.rate-limit.period", () -> "1h");
    }

    @AfterAll
    static void stop() {
        UPSTREAMS.close();
    }

    @ParameterizedTest
    @CsvSource({
            "GET, /api/v1/jobs",
            "POST, /api/v1/jobs",
            "POST, /api/v1/jobs/3f1c2a9e-0000-4000-8000-000000000001/cancel",
            "GET, /api/v1/jobs/3f1c2a9e-0000-4000-8000-000000000001/report",
            "GET, /api/v1/devices",
            "POST, /api/v1/datacenters",
            "PUT, /api/v1/chips/a100",
            "DELETE, /api/v1/devices/d1",
            "POST, /api/v1/plans/simulate",
            "POST, /api/v1/tenants/acme/keys"})
    void withoutAKeyOrWithAWrongOneNothingIsForwarded(String method, String path) throws Exception {
        int before = UPSTREAMS.requests();
        for (String authorization : new String[] {null, "Bearer ctk_not-a-key", "Bearer " + ADMIN_KEY + "x",
                "Basic YWRtaW46YWRtaW4=", "Bearer " + jwt("other-secret-of-at-least-32-bytes-long!!", "u1", "acme",
                "admin", Instant.now().plusSeconds(600)),
                "Bearer " + jwt(JWT_SECRET, "u1", "acme", "admin", Instant.now().minusSeconds(60))}) {
            HttpResponse<String> r = send(method, path, authorization, "{}");

            assertThat(r.statusCode()).as("%s %s with %s", method, path, authorization).isEqualTo(401);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                    ct -> assertThat(ct).startsWith("application/problem+json"));
            assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                    h -> assertThat(h).startsWith("Bearer"));
            JsonNode problem = json.readTree(r.body());
            assertThat(problem.path("status").asInt()).isEqualTo(401);
            assertThat(problem.path("field").asString()).isEqualTo("Authorization");
        }
        assertThat(UPSTREAMS.requests()).isEqualTo(before);
    }

    @Test
    void anAdminIssuesATenantKeyThatActsForThatTenantOnly() throws Exception {
        String key = issue("acme", "user");

        HttpResponse<String> whoami = send("GET", "/api/v1/jobs/whoami", "Bearer " + key, null);
        assertThat(whoami.statusCode()).isEqualTo(200);
        // the upstream gets a caller token the gateway signed for acme; the key itself does not travel on
        assertThat(whoami.body()).startsWith("tenant=acme role=user principal=key:");
        assertThat(whoami.body()).doesNotContain(key);
    }

    @Test
    void aUserKeyReadsTheClusterAndWorksOnJobsButCannotChangeTheClusterOrIssueKeys() throws Exception {
        String key = issue("acme", "user");

        assertThat(send("GET", "/api/v1/devices", "Bearer " + key, null).statusCode()).isEqualTo(200);
        assertThat(send("POST", "/api/v1/jobs", "Bearer " + key, "{}").statusCode()).isEqualTo(200);
        for (String[] call : List.of(new String[] {"POST", "/api/v1/datacenters"},
                new String[] {"PUT", "/api/v1/chips/a100"}, new String[] {"DELETE", "/api/v1/devices/d1"},
                new String[] {"POST", "/api/v1/tenants/acme/keys"}, new String[] {"GET", "/api/v1/tenants/acme/keys"},
                new String[] {"POST", "/api/v1/plans/simulate"})) {
            HttpResponse<String> r = send(call[0], call[1], "Bearer " + key, "{}");
            assertThat(r.statusCode()).as("%s %s", call[0], call[1]).isEqualTo(403);
            assertThat(json.readTree(r.body()).path("status").asInt()).isEqualTo(403);
        }
    }

    @Test
    void aRevokedKeyIsRefused() throws Exception {
        HttpResponse<String> issued = send("POST", "/api/v1/tenants/acme/keys", "Bearer " + ADMIN_KEY, "{}");
        JsonNode body = json.readTree(issued.body());
        String key = body.path("key").asString();
        assertThat(send("GET", "/api/v1/jobs", "Bearer " + key, null).statusCode()).isEqualTo(200);

        HttpResponse<String> revoked = send("DELETE", "/api/v1/tenants/acme/keys/" + body.path("id").asString(),
                "Bearer " + ADMIN_KEY, null);
        assertThat(revoked.statusCode()).isEqualTo(204);

        assertThat(send("GET", "/api/v1/jobs", "Bearer " + key, null).statusCode()).isEqualTo(401);
        HttpResponse<String> list = send("GET", "/api/v1/tenants/acme/keys", "Bearer " + ADMIN_KEY, null);
        assertThat(list.body()).contains(body.path("id").asString()).doesNotContain(key);
    }

    @Test
    void aJwtSignedWithTheSecretActsForItsTenantAndRole() throws Exception {
        String user = jwt(JWT_SECRET, "alice", "globex", "user", Instant.now().plusSeconds(600));
        HttpResponse<String> whoami = send("GET", "/api/v1/jobs/whoami", "Bearer " + user, null);
        assertThat(whoami.body()).isEqualTo("tenant=globex role=user principal=jwt:alice");
        assertThat(send("POST", "/api/v1/datacenters", "Bearer " + user, "{}").statusCode()).isEqualTo(403);

        String admin = jwt(JWT_SECRET, "root", "system", "admin", Instant.now().plusSeconds(600));
        assertThat(send("POST", "/api/v1/datacenters", "Bearer " + admin, "{}").statusCode()).isEqualTo(200);

        // "service" is the stack's own role: no credential of a user can claim it
        String service = jwt(JWT_SECRET, "mallory", "system", "service", Instant.now().plusSeconds(600));
        assertThat(send("GET", "/api/v1/jobs/whoami", "Bearer " + service, null).statusCode()).isEqualTo(401);
    }

    @Test
    void badTenantNamesAndRolesAreRejectedNamingTheField() throws Exception {
        HttpResponse<String> badTenant = send("POST", "/api/v1/tenants/Not_OK/keys", "Bearer " + ADMIN_KEY, "{}");
        assertThat(badTenant.statusCode()).isEqualTo(400);
        assertThat(json.readTree(badTenant.body()).path("field").asString()).isEqualTo("tenant");

        HttpResponse<String> badRole = send("POST", "/api/v1/tenants/acme/keys", "Bearer " + ADMIN_KEY,
                "{\"role\":\"root\"}");
        assertThat(badRole.statusCode()).isEqualTo(400);
        assertThat(json.readTree(badRole.body()).path("field").asString()).isEqualTo("role");
    }

    @Test
    void eachKeyHasItsOwnRateLimitAnsweredWith429() throws Exception {
        String busy = issue("acme", "user");
        String calm = issue("acme", "user");
        for (int i = 0; i < LIMIT; i++) {
            assertThat(send("GET", "/api/v1/jobs", "Bearer " + busy, null).statusCode()).as("request %d", i)
                    .isEqualTo(200);
        }
        HttpResponse<String> limited = send("GET", "/api/v1/jobs", "Bearer " + busy, null);
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).isPresent();
        assertThat(json.readTree(limited.body()).path("status").asInt()).isEqualTo(429);

        assertThat(send("GET", "/api/v1/jobs", "Bearer " + calm, null).statusCode()).isEqualTo(200);
    }

    @Test
    void keysNeverAppearInTheLogEvenAtDebugLevel(CapturedOutput output) throws Exception {
        String key = issue("acme", "user");
        send("GET", "/api/v1/jobs", "Bearer " + key, null);
        send("GET", "/api/v1/jobs", "Bearer " + key + "-wrong", null);
        send("POST", "/api/v1/jobs", "Bearer " + key, "{\"name\":\"x\"}");

        assertThat(output.getAll()).contains("/api/v1/jobs"); // the debug log did see these requests
        assertThat(output.getAll()).doesNotContain(key, ADMIN_KEY, key.substring(4, 20));
    }

    @Test
    void theUiDocsAndHealthNeedNoKey() throws Exception {
        assertThat(send("GET", "/", null, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/actuator/health", null, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/swagger-ui/index.html", null, null).statusCode()).isEqualTo(200);
    }

    private String issue(String tenant, String role) throws Exception {
        HttpResponse<String> r = send("POST", "/api/v1/tenants/" + tenant + "/keys", "Bearer " + ADMIN_KEY,
                "{\"role\":\"" + role + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode body = json.readTree(r.body());
        assertThat(body.path("tenant").asString()).isEqualTo(tenant);
        assertThat(body.path("role").asString()).isEqualTo(role);
        assertThat(body.path("key").asString()).startsWith("ctk_").hasSizeGreaterThan(40);
        return body.path("key").asString();
    }

    static String jwt(String secret, String subject, String tenant, String role, Instant expires) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder()
                .subject(subject).claim("tenant", tenant).claim("role", role)
                .expirationTime(Date.from(expires)).build());
        jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    private HttpResponse<String> send(String method, String path, String authorization, String body,
                                      String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
}
