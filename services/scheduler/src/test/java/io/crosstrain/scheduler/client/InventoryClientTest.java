package io.crosstrain.scheduler.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.web.client.RestClient;

import io.crosstrain.scheduler.domain.InventoryDevice;
import tools.jackson.databind.json.JsonMapper;

/** Against a JDK HTTP server standing in for device-inventory's REST API. */
class InventoryClientTest {

    static final String DEVICES = """
            [{"id":"bj-0","nodeId":"bj-node","datacenter":"bj","chip":"A100-80G","labels":{"rack":"r1"},
              "status":"HEALTHY","lastHeartbeat":"2026-01-01T00:00:00Z","mode":"emulated","cpuFlopsPerSec":2.5e9,
              "hostCores":4,"catalogue":{"name":"A100-80G","tflops":312}},
             {"id":"sh-0","nodeId":"sh-node","datacenter":"sh","chip":"H20","labels":{},"status":"UNKNOWN",
              "lastHeartbeat":null,"mode":null,"cpuFlopsPerSec":0,"hostCores":null,"catalogue":null}]""";

    final AtomicInteger calls = new AtomicInteger();
    HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void readsTheDeviceListIgnoringFieldsItDoesNotNeed() {
        InventoryClient client = client(start(0, 200, DEVICES));

        assertThat(client.devices()).containsExactly(
                new InventoryDevice("bj-0", "bj-node", "bj", "A100-80G", "HEALTHY", "emulated", 2.5e9, 4, null,
                        java.util.Map.of("rack", "r1")),
                new InventoryDevice("sh-0", "sh-node", "sh", "H20", "UNKNOWN", null, 0.0, null));
        assertThat(calls).hasValue(1);
    }

    @Test
    void retriesServerErrorsUntilTheInventoryAnswers() {
        InventoryClient client = client(start(2, 200, DEVICES));

        assertThat(client.devices()).hasSize(2);
        assertThat(calls).hasValue(3);
    }

    @Test
    void givesUpAfterThreeAttempts() {
        InventoryClient client = client(start(5, 200, DEVICES));

        assertThatThrownBy(client::devices)
                .isInstanceOf(InventoryClient.InventoryUnavailableException.class)
                .hasMessageContaining("/api/v1/devices");
        assertThat(calls).hasValue(3);
    }

    @Test
    void aClientErrorIsNotRetried() {
        InventoryClient client = client(start(0, 404, "{}"));

        assertThatThrownBy(client::devices).isInstanceOf(InventoryClient.InventoryUnavailableException.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void anUnreadableBodyIsReportedAsSuch() {
        InventoryClient client = client(start(0, 200, "{\"not\":\"a list\"}"));

        assertThatThrownBy(client::devices)
                .isInstanceOf(InventoryClient.InventoryUnavailableException.class)
                .hasMessageContaining("unreadable device list");
    }

    @Test
    void anUnreachableInventoryIsReportedWithItsUrl() throws IOException {
        int freePort;
        try (ServerSocket s = new ServerSocket(0)) {
            freePort = s.getLocalPort();
        }
        InventoryClient client = client("http://127.0.0.1:" + freePort);

        assertThatThrownBy(client::devices)
                .isInstanceOf(InventoryClient.InventoryUnavailableException.class)
                .hasMessageContaining("127.0.0.1:" + freePort);
    }

    private InventoryClient client(String baseUrl) {
        return new InventoryClient(RestClient.builder().baseUrl(baseUrl).build(),
                InventoryClient.retry(3, Duration.ofMillis(10)), JsonMapper.builder().build(), baseUrl);
    }

    /** Fails the first {@code failures} calls with 503, then answers {@code status} and {@code body}. */
    private String start(int failures, int status, String body) {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.createContext("/api/v1/devices", exchange -> {
            int n = calls.incrementAndGet();
            if (n <= failures) {
                respond(exchange, 503, "{\"title\":\"warming up\"}");
            } else {
                respond(exchange, status, body);
            }
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
