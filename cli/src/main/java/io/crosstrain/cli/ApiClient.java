package io.crosstrain.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * JSON over HTTP to the gateway, with the caller's API key as a bearer token; or to a service's own port, with a
 * caller token of the CLI's service identity.
 */
final class ApiClient {

    record Response(int status, JsonNode body, String raw) {
    }

    /** A binary answer (a model archive). */
    record Download(int status, byte[] body) {
    }

    private final String base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final JsonMapper mapper;
    private final java.util.function.Supplier<String> credential;

    /** @param key API key or JWT; null sends no Authorization header */
    ApiClient(String base, JsonMapper mapper, String key) {
        this(base, mapper, () -> key);
    }

    /** @param credential asked before every request (a caller token that expires, for a service's own port) */
    ApiClient(String base, JsonMapper mapper, java.util.function.Supplier<String> credential) {
        this.base = base;
        this.mapper = mapper;
        this.credential = credential;
    }

    /** The same gateway as another caller. */
    ApiClient as(String otherKey) {
        return new ApiClient(base, mapper, otherKey);
    }

    String base() {
        return base;
    }

    String key() {
        return credential.get();
    }

    Response get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    Response post(String path, Object body) {
        return send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(mapper.writeValueAsString(body))));
    }

    Response put(String path, Object body) {
        return send(HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(mapper.writeValueAsString(body))));
    }

    Download download(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).GET();
        String key = credential.get();
        if (key != null) {
            builder.header("Authorization", "Bearer " + key);
        }
        try {
            HttpResponse<byte[]> r = http.send(builder.timeout(Duration.ofMinutes(5)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            return new Download(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach " + base + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A tenant's new API key (needs an admin key). */
    String issueKey(String tenant, String role) {
        return ok(post("/api/v1/tenants/" + tenant + "/keys", java.util.Map.of("role", role)),
                "issuing a key for " + tenant).path("key").asString();
    }

    JsonNode ok(Response r, String what) {
        if (r.status() / 100 != 2) {
            throw new IllegalStateException(what + " failed with HTTP " + r.status() + ": " + r.raw());
        }
        return r.body();
    }

    private Response send(HttpRequest.Builder builder) {
        try {
            String key = credential.get();
            if (key != null) {
                builder.header("Authorization", "Bearer " + key);
            }
            HttpResponse<String> r = http.send(builder.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = r.body() == null || r.body().isBlank() ? null : mapper.readTree(r.body());
            return new Response(r.statusCode(), body, r.body());
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach " + base + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
