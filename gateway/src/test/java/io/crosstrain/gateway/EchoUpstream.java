package io.crosstrain.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * An upstream for routing tests: answers "name METHOD path?query\nbody"; for a path ending in {@code /whoami} it
 * answers with the caller its caller token names instead. Counts the requests that reached it.
 */
final class EchoUpstream implements AutoCloseable {

    private final String name;
    private final HttpServer server;
    final AtomicInteger requests = new AtomicInteger();

    EchoUpstream(String name) {
        this.name = name;
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        server.createContext("/", this::answer);
        server.start();
    }

    /** The gateway's three upstreams as echo servers, and the properties that point the gateway at them. */
    static final class Trio implements AutoCloseable {
        final EchoUpstream jobApi = new EchoUpstream("job-api");
        final EchoUpstream inventory = new EchoUpstream("inventory");
        final EchoUpstream scheduler = new EchoUpstream("scheduler");

        /** Upstream URLs, the bootstrap admin key and a fresh PostgreSQL database for the key table. */
        void register(org.springframework.test.context.DynamicPropertyRegistry r, String adminKey) {
            r.add("crosstrain.gateway.job-api-url", jobApi::url);
            r.add("crosstrain.gateway.inventory-url", inventory::url);
            r.add("crosstrain.gateway.scheduler-url", scheduler::url);
            r.add("crosstrain.gateway.security.admin-key", () -> adminKey);
            io.crosstrain.testsupport.RealInfra.registerPostgres(r);
        }

        int requests() {
            return jobApi.requests.get() + inventory.requests.get() + scheduler.requests.get();
        }

        @Override
        public void close() {
            jobApi.close();
            inventory.close();
            scheduler.close();
        }
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void answer(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        URI uri = exchange.getRequestURI();
        byte[] out;
        if (uri.getRawPath().endsWith("/whoami")) {
            // as a service does: the caller is what the gateway's caller token says, verified with the stack's key
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            String answer;
            try {
                io.crosstrain.auth.CallerScope caller = io.crosstrain.testsupport.TestCallers.tokens()
                        .verify(authorization == null ? null : authorization.replaceFirst("^Bearer ", ""));
                answer = "tenant=" + caller.tenant() + " role=" + caller.role().wire() + " principal="
                        + caller.principal();
            } catch (io.crosstrain.auth.InvalidCallerTokenException e) {
                answer = "no caller token: " + e.getMessage() + " (Authorization: " + authorization + ")";
            }
            out = answer.getBytes(StandardCharsets.UTF_8);
        } else {
            String target = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
            byte[] head = (name + " " + exchange.getRequestMethod() + " " + target + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            out = new byte[head.length + body.length];
            System.arraycopy(head, 0, out, 0, head.length);
            System.arraycopy(body, 0, out, head.length, body.length);
        }
        exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(200, out.length);
        try (OutputStream o = exchange.getResponseBody()) {
            o.write(out);
        }
    }
}
