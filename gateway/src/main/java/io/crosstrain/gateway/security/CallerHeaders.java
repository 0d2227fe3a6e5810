package io.crosstrain.gateway.security;

import org.springframework.http.HttpHeaders;
import org.springframework.web.servlet.function.ServerRequest;

import io.crosstrain.gateway.domain.Caller;

/**
 * What the services behind the gateway learn about the caller. The credential itself never leaves the gateway, and
 * headers a client sent under these names are dropped, so a service can trust them.
 */
public final class CallerHeaders {

    public static final String TENANT = io.crosstrain.web.CallerScope.TENANT_HEADER;
    public static final String ROLE = io.crosstrain.web.CallerScope.ROLE_HEADER;
    public static final String PRINCIPAL = io.crosstrain.web.CallerScope.PRINCIPAL_HEADER;

    private CallerHeaders() {
    }

    /** A gateway before-filter: replaces credential and caller headers by the authenticated caller's. */
    public static ServerRequest forward(ServerRequest request) {
        Caller caller = CallerAuthentication.current();
        return ServerRequest.from(request).headers(h -> {
            h.remove(HttpHeaders.AUTHORIZATION);
            h.remove(HttpHeaders.COOKIE);
            h.remove(TENANT);
            h.remove(ROLE);
            h.remove(PRINCIPAL);
            if (caller != null) {
                h.set(TENANT, caller.tenant());
                h.set(ROLE, caller.role().wire());
                h.set(PRINCIPAL, caller.id());
            }
        }).build();
    }
}
