package io.crosstrain.gateway.security;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param adminKey  the bootstrap admin key ({@code CROSSTRAIN_ADMIN_KEY}); blank = no bootstrap key
 * @param jwtSecret HMAC secret for HS256 JWTs ({@code CROSSTRAIN_JWT_SECRET}, at least 32 bytes); blank = JWTs off
 * @param rateLimit requests each caller may make per period before getting 429
 */
@ConfigurationProperties("crosstrain.gateway.security")
public record SecurityProperties(String adminKey, String jwtSecret, @DefaultValue RateLimit rateLimit) {

    public record RateLimit(@DefaultValue("50") int requests, @DefaultValue("1s") Duration period) {
    }

    boolean hasAdminKey() {
        return adminKey != null && !adminKey.isBlank();
    }

    boolean jwtEnabled() {
        return jwtSecret != null && !jwtSecret.isBlank();
    }
}
