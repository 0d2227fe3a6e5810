package io.crosstrain.gateway.config;

import static org.springframework.cloud.gateway.server.mvc.filter.BeforeFilterFunctions.setPath;
import static org.springframework.cloud.gateway.server.mvc.filter.BeforeFilterFunctions.uri;
import static org.springframework.cloud.gateway.server.mvc.handler.GatewayRouterFunctions.route;
import static org.springframework.cloud.gateway.server.mvc.handler.HandlerFunctions.http;
import static org.springframework.cloud.gateway.server.mvc.predicate.GatewayRequestPredicates.path;

import java.util.ArrayList;
import java.util.List;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.ServerResponse;

import io.crosstrain.auth.CallerTokens;
import io.crosstrain.gateway.security.CallerHeaders;

/**
 * The routing table. Declared in Java rather than YAML so that the prefix → service mapping lives in one place
 * ({@link #ROUTES}) and each prefix matches both the collection path ({@code /api/v1/jobs}) and everything below it.
 */
@Configuration(proxyBeanMethods = false)
class RoutesConfig {

    /** Which upstream owns a path prefix. */
    enum Upstream { JOB_API, INVENTORY, SCHEDULER }

    record Route(String id, String prefix, Upstream upstream) {
    }

    static final List<Route> ROUTES = List.of(
            new Route("jobs", "/api/v1/jobs", Upstream.JOB_API),
            new Route("datasets", "/api/v1/datasets", Upstream.JOB_API),
            new Route("models", "/api/v1/models", Upstream.JOB_API),
            new Route("datacenters", "/api/v1/datacenters", Upstream.INVENTORY),
            new Route("devices", "/api/v1/devices", Upstream.INVENTORY),
            new Route("chips", "/api/v1/chips", Upstream.INVENTORY),
            new Route("links", "/api/v1/links", Upstream.INVENTORY),
            new Route("nodes", "/api/v1/nodes", Upstream.INVENTORY),
            new Route("profiles", "/api/v1/profiles", Upstream.INVENTORY),
            new Route("plans", "/api/v1/plans", Upstream.SCHEDULER),
            new Route("queue", "/api/v1/queue", Upstream.SCHEDULER));

    @Bean
    RouterFunction<ServerResponse> apiRoutes(UpstreamProperties upstreams, CallerTokens tokens) {
        CallerHeaders callers = new CallerHeaders(tokens);
        List<RouterFunction<ServerResponse>> functions = new ArrayList<>();
        for (Route r : ROUTES) {
            functions.add(route(r.id())
                    .route(path(r.prefix(), r.prefix() + "/**"), http())
                    .before(uri(urlOf(r.upstream(), upstreams)))
                    .before(callers::forward)
                    .build());
        }
        return functions.stream().reduce(RouterFunction::and).orElseThrow();
    }

    /** Where the gateway's Swagger UI finds each service's OpenAPI document: {@code /openapi/<service>}. */
    static final String DOCS_PREFIX = "/openapi/";

    /** Each upstream's {@code /v3/api-docs}, under a name of its own, for the Swagger UI and the linter. */
    @Bean
    RouterFunction<ServerResponse> docsRoutes(UpstreamProperties upstreams) {
        List<RouterFunction<ServerResponse>> functions = new ArrayList<>();
        for (Upstream u : Upstream.values()) {
            functions.add(route("docs-" + docsName(u))
                    .route(path(DOCS_PREFIX + docsName(u)), http())
                    .before(uri(urlOf(u, upstreams)))
                    .before(setPath("/v3/api-docs"))
                    .build());
        }
        return functions.stream().reduce(RouterFunction::and).orElseThrow();
    }

    static String docsName(Upstream upstream) {
        return switch (upstream) {
            case JOB_API -> "job-api";
            case INVENTORY -> "device-inventory";
            case SCHEDULER -> "scheduler";
        };
    }

    static String urlOf(Upstream upstream, UpstreamProperties p) {
        return switch (upstream) {
            case JOB_API -> p.jobApiUrl();
            case INVENTORY -> p.inventoryUrl();
            case SCHEDULER -> p.schedulerUrl();
        };
    }
}
