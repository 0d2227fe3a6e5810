package io.crosstrain.gateway.api;

import org.springframework.http.HttpHeaders;
import org.springframework.security.core.AuthenticationException;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.auth.CallerTokens;
import io.crosstrain.auth.InvalidCallerTokenException;
import io.crosstrain.gateway.security.CallerAuthenticator;
import io.crosstrain.web.RequestRejectedException;
import io.swagger.v3.oas.annotations.Hidden;

/**
 * For job-api only: who a credential carried by a Kafka job command stands for, checked by the same providers as a
 * REST request, so a command is exactly as trusted as the same call over REST. Not routed to the outside.
 */
@RestController
@Hidden
class CredentialController {

    /** The one service that brings commands' credentials here. */
    static final String JOB_API = CallerScope.service("job-api").principal();

    record CredentialCheck(String credential) {
    }

    record CheckedCaller(String principal, String tenant, String role) {
    }

    private final CallerAuthenticator authenticator;
    private final CallerTokens tokens;

    CredentialController(CallerAuthenticator authenticator, CallerTokens tokens) {
        this.authenticator = authenticator;
        this.tokens = tokens;
    }

    @PostMapping("/internal/v1/credentials")
    CheckedCaller check(@RequestHeader(value = HttpHeaders.AUTHORIZATION, required = false) String authorization,
                        @RequestBody CredentialCheck body) {
        CallerScope service;
        try {
            service = tokens.verify(authorization == null ? null : authorization.replaceFirst("^Bearer ", ""));
        } catch (InvalidCallerTokenException e) {
            throw RequestRejectedException.field(401, "Authorization", e.getMessage());
        }
        if (!JOB_API.equals(service.principal())) {
            throw RequestRejectedException.field(403, "Authorization", "only job-api checks credentials here, not "
                    + service.principal());
        }
        if (body == null || body.credential() == null || body.credential().isBlank()) {
            throw RequestRejectedException.unprocessable("credential", "is required");
        }
        try {
            CallerScope caller = authenticator.authenticate(body.credential().strip());
            return new CheckedCaller(caller.principal(), caller.tenant(), caller.role().wire());
        } catch (AuthenticationException e) {
            throw RequestRejectedException.field(401, "credential", e.getMessage());
        }
    }
}
