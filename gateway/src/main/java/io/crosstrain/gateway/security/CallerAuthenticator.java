package io.crosstrain.gateway.security;

import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;

import io.crosstrain.auth.CallerScope;

/** Checks a credential (API key or JWT) exactly as a REST request's bearer token is checked. */
public final class CallerAuthenticator {

    private final ProviderManager manager;

    CallerAuthenticator(ProviderManager manager) {
        this.manager = manager;
    }

    ProviderManager manager() {
        return manager;
    }

    /** @throws AuthenticationException when the credential is unknown, revoked, expired or malformed */
    public CallerScope authenticate(String credential) {
        return ((CallerAuthentication) manager.authenticate(new BearerTokenAuthenticationToken(credential))).caller();
    }
}
