package io.crosstrain.gateway.config;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Base URLs of the services behind the gateway. Only scheme, host and port matter: the gateway forwards the
 * incoming path and query unchanged.
 */
@ConfigurationProperties("crosstrain.gateway")
public record UpstreamProperties(
        @DefaultValue("http://127.0.0.1:8082") String jobApiUrl,
        @DefaultValue("http://127.0.0.1:8081") String inventoryUrl,
        @DefaultValue("http://127.0.0.1:8083") String schedulerUrl) {
}
