package io.crosstrain.gateway.security;

import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.gateway.domain.ApiKeys;
import io.crosstrain.gateway.persistence.ApiKeyRepository;

/**
 * Bearer tokens that are API keys: the bootstrap admin key, or a tenant key from the database. Tokens shaped like a
 * JWT are left to the JWT provider when JWTs are on.
 */
final class ApiKeyAuthenticationProvider implements AuthenticationProvider {

    static final CallerScope BOOTSTRAP_ADMIN = new CallerScope("bootstrap-admin", "system", CallerScope.Role.ADMIN);

    private final ApiKeyRepository keys;
    private final String adminKeyHash;
    private final boolean jwtEnabled;

    ApiKeyAuthenticationProvider(ApiKeyRepository keys, SecurityProperties props) {
        this.keys = keys;
        this.adminKeyHash = props.hasAdminKey() ? ApiKeys.hash(props.adminKey().strip()) : null;
        this.jwtEnabled = props.jwtEnabled();
    }

    @Override
    public Authentication authenticate(Authentication authentication) {
        String token = ((BearerTokenAuthenticationToken) authentication).getToken();
        if (jwtEnabled && ApiKeys.looksLikeJwt(token)) {
            return null;
        }
        String hash = ApiKeys.hash(token);
        if (adminKeyHash != null && ApiKeys.sameHash(hash, adminKeyHash)) {
            return new CallerAuthentication(BOOTSTRAP_ADMIN);
        }
        return keys.findActive(hash).map(CallerAuthentication::new)
                .orElseThrow(() -> new BadCredentialsException("unknown or revoked API key"));
    }

    @Override
    public boolean supports(Class<?> authentication) {
        return BearerTokenAuthenticationToken.class.isAssignableFrom(authentication);
    }
}
