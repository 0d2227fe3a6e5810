package io.crosstrain.jobapi.messaging;

import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;
import org.springframework.web.client.RestClientResponseException;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.auth.CallerTokens;
import io.crosstrain.auth.InvalidCallerTokenException;
import io.crosstrain.contracts.JobCommand;
import io.crosstrain.jobapi.config.JobApiProperties;
import io.crosstrain.web.RequestRejectedException;
import io.crosstrain.web.ServiceCalls;
import tools.jackson.databind.JsonNode;

/**
 * Who sent a job command, from the credential in its record header. A caller token of the stack (the scheduler's) is
 * verified here, as of when the record was sent; an API key or a user's JWT goes to the gateway, which checks it with
 * the very providers it uses for REST, so a command is trusted exactly as the same call over REST would be.
 */
@Component
class CommandCallers {

    private static final Logger log = LoggerFactory.getLogger(CommandCallers.class);

    private final CallerTokens tokens;
    private final RestClient gateway;
    private final Duration wait;

    CommandCallers(CallerTokens tokens, ServiceCalls serviceCalls, JobApiProperties props) {
        this.tokens = tokens;
        JdkClientHttpRequestFactory factory = new JdkClientHttpRequestFactory(
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build());
        factory.setReadTimeout(Duration.ofSeconds(5));
        this.gateway = RestClient.builder().baseUrl(props.gatewayUrl()).requestFactory(factory)
                .requestInterceptor(serviceCalls.interceptor()).build();
        this.wait = props.gatewayWait();
    }

    /** @throws RequestRejectedException (field {@code crosstrain-credential}) when the credential is refused */
    CallerScope of(String credential, Instant sentAt) {
        if (credential == null || credential.isBlank()) {
            throw refused("a job command must carry an API key or JWT in its '"
                    + JobCommand.CREDENTIAL_HEADER + "' header");
        }
        String given = credential.strip();
        if (tokens.signedHere(given)) {
            try {
                return tokens.verify(given, sentAt);
            } catch (InvalidCallerTokenException e) {
                throw refused(e.getMessage());
            }
        }
        return askGateway(given);
    }

    /** Retries while the gateway is unreachable (it may be restarting); a refused credential is final. */
    private CallerScope askGateway(String credential) {
        long deadline = System.nanoTime() + wait.toNanos();
        long pauseMs = 200;
        while (true) {
            try {
                JsonNode caller = gateway.post().uri("/internal/v1/credentials")
                        .contentType(MediaType.APPLICATION_JSON).body(Map.of("credential", credential))
                        .retrieve().body(JsonNode.class);
                return new CallerScope(caller.path("principal").asString(), caller.path("tenant").asString(),
                        CallerScope.Role.ofWire(caller.path("role").asString()));
            } catch (RestClientResponseException e) {
                HttpStatusCode status = e.getStatusCode();
                if (status.value() == 401 || status.value() == 422) {
                    throw refused(detailOf(e));
                }
                if (status.is4xxClientError()) { // 403: this service's own identity was refused; never retried
                    throw new IllegalStateException("the gateway refused job-api's caller token: " + detailOf(e));
                }
                log.warn("the gateway answered {} checking a command's credential; retrying", status.value());
            } catch (RestClientException e) {
                log.warn("cannot reach the gateway to check a command's credential ({}); retrying", e.getMessage());
            }
            if (System.nanoTime() > deadline) {
                throw refused("the gateway, which checks credentials, did not answer within " + wait);
            }
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while checking a command's credential", e);
            }
            pauseMs = Math.min(pauseMs * 2, 5_000);
        }
    }

    private static String detailOf(RestClientResponseException e) {
        try {
            JsonNode problem = e.getResponseBodyAs(JsonNode.class);
            if (problem != null && problem.hasNonNull("detail")) {
                return problem.path("detail").asString();
            }
        } catch (RuntimeException unreadable) {
            // not problem+json: the status says enough
        }
        return e.getStatusText();
    }

    private static RequestRejectedException refused(String message) {
        return RequestRejectedException.field(401, JobCommand.CREDENTIAL_HEADER, message);
    }
}
