package io.crosstrain.web;

import java.nio.file.Path;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import io.crosstrain.auth.CallerTokens;
import io.crosstrain.auth.ServiceKeys;

/**
 * The keys caller tokens are signed and verified with.
 *
 * @param keys     {@code id:secret,…} ({@code CROSSTRAIN_SERVICE_KEYS}); the first signs
 * @param keysFile a file holding the same, re-read when it changes ({@code CROSSTRAIN_SERVICE_KEYS_FILE}); wins
 *                 over {@code keys}
 * @param tokenTtl how long a token this service signs lives
 * @param verify   whether {@code /api/**} requires a caller token (the gateway, which authenticates users itself,
 *                 turns it off)
 */
@ConfigurationProperties("crosstrain.service-auth")
public record ServiceAuthProperties(String keys, String keysFile, @DefaultValue("60s") Duration tokenTtl,
                                    @DefaultValue("true") boolean verify) {

    CallerTokens tokens() {
        ServiceKeys serviceKeys = keysFile != null && !keysFile.isBlank() ? ServiceKeys.fromFile(Path.of(keysFile.strip()))
                : ServiceKeys.of(keys);
        return new CallerTokens(serviceKeys, java.time.Clock.systemUTC(), tokenTtl);
    }
}
