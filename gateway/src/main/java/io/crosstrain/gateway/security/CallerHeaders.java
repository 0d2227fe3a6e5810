package io.crosstrain.gateway.security;

import org.springframework.http.HttpHeaders;
import org.springframework.web.servlet.function.ServerRequest;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.auth.CallerTokens;

/**
 * What the services behind the gateway learn about the caller: a short-lived caller token the gateway signs, in
 * place of the caller's own credential, which never leaves the gateway. Services verify the token and answer 401
 * without it, so reaching a service directly gains nothing.
 */
public final class CallerHeaders {

    private final CallerTokens tokens;

    public CallerHeaders(CallerTokens tokens) {
        this.tokens = tokens;
    }

    /** A gateway before-filter: replaces the credential by a caller token for the authenticated caller. */
    public ServerRequest forward(ServerRequest request) {
        CallerScope caller = CallerAuthentication.current();
        return ServerRequest.from(request).headers(h -> {
            h.remove(HttpHeaders.AUTHORIZATION);
            h.remove(HttpHeaders.COOKIE);
            if (caller != null) {
                h.set(HttpHeaders.AUTHORIZATION, "Bearer " + tokens.sign(caller));
            }
        }).build();
    }
}
