package io.crosstrain.jobapi.config;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * @param outbox  how the outbox publisher runs (topic partition counts are the shared {@code Topics.partitions})
 * @param dataDir the data directory the workers read {@code path} datasets from; uploads go to its
 *                {@code uploads/} folder
 * @param gatewayUrl  the gateway, which checks the API keys and JWTs that job commands carry
 * @param gatewayWait how long a command waits for an unreachable gateway before it is rejected
 */
@ConfigurationProperties("crosstrain.job-api")
public record JobApiProperties(Outbox outbox, String dataDir, String gatewayUrl, Duration gatewayWait) {

    public JobApiProperties {
        outbox = outbox == null ? new Outbox(null, null, null, null) : outbox;
        dataDir = dataDir == null || dataDir.isBlank() ? "./data" : dataDir;
        gatewayUrl = gatewayUrl == null || gatewayUrl.isBlank() ? "http://127.0.0.1:8080" : gatewayUrl;
        gatewayWait = gatewayWait == null ? Duration.ofMinutes(2) : gatewayWait;
    }

    /**
     * @param intervalMs    pause between two publishing rounds
     * @param batchSize     rows locked and sent per round
     * @param sendTimeout   how long to wait for the broker's acknowledgement
     * @param keepPublished how long published rows stay for inspection before they are deleted
     */
    public record Outbox(Long intervalMs, Integer batchSize, Duration sendTimeout, Duration keepPublished) {
        public Outbox {
            intervalMs = intervalMs == null ? 100L : intervalMs;
            batchSize = batchSize == null ? 200 : batchSize;
            sendTimeout = sendTimeout == null ? Duration.ofSeconds(15) : sendTimeout;
            keepPublished = keepPublished == null ? Duration.ofDays(7) : keepPublished;
        }
    }
}
