package io.crosstrain.scheduler.client;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import org.springframework.http.MediaType;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.RestClient;
import org.springframework.web.client.RestClientException;

import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ChipSpec;
import io.crosstrain.scheduler.domain.InventoryDevice;
import io.crosstrain.scheduler.domain.PlanAssembler;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the device list from device-inventory over REST. Transient failures (connection refused, 5xx, timeouts)
 * are retried a few times by {@link Retry}; whatever still fails surfaces as {@link InventoryUnavailableException}.
 */
public class InventoryClient {

    static final String DEVICES_PATH = "/api/v1/devices";

    private final RestClient rest;
    private final Retry retry;
    private final JsonMapper json;
    private final String baseUrl;

    public InventoryClient(RestClient rest, Retry retry, JsonMapper json, String baseUrl) {
        this.rest = rest;
        this.retry = retry;
        this.json = json;
        this.baseUrl = baseUrl;
    }

    /**
     * The retry policy for inventory calls: {@code attempts} tries with exponential back-off from {@code firstWait};
     * a 4xx answer will not improve by asking again, so only I/O errors and 5xx are retried.
     */
    public static Retry retry(int attempts, Duration firstWait) {
        RetryConfig config = RetryConfig.custom()
                .maxAttempts(attempts)
                .intervalFunction(IntervalFunction.ofExponentialBackoff(firstWait, 2.0))
                .retryOnException(e -> !(e instanceof HttpClientErrorException))
                .build();
        return Retry.of("device-inventory", config);
    }

    /** GET a JSON body, with the retry policy; null or blank when the inventory answered with nothing. */
    private String get(String path) {
        return retry.executeSupplier(() -> rest.get()
                .uri(path)
                .accept(MediaType.APPLICATION_JSON)
                .retrieve()
                .body(String.class));
    }

    public List<InventoryDevice> devices() {
        String body;
        try {
            body = get(DEVICES_PATH);
        } catch (RestClientException e) {
            throw new InventoryUnavailableException(
                    "device-inventory at " + baseUrl + " did not answer " + DEVICES_PATH + ": " + e.getMessage(), e);
        }
        if (body == null || body.isBlank()) {
            throw new InventoryUnavailableException("device-inventory at " + baseUrl + " sent an empty device list", null);
        }
        try {
            InventoryDevice[] devices = json.readValue(body, InventoryDevice[].class);
            return Arrays.stream(devices).filter(d -> d != null && d.id() != null).toList();
        } catch (JacksonException e) {
            throw new InventoryUnavailableException(
                    "device-inventory at " + baseUrl + " sent an unreadable device list: " + e.getOriginalMessage(), e);
        }
    }

    /** Every measured throughput profile; an empty list when the inventory cannot say (planning falls back). */
    public List<PlanAssembler.MeasuredProfile> profiles() {
        try {
            String body = get("/api/v1/profiles");
            if (body == null || body.isBlank()) {
                return List.of();
            }
            return Arrays.stream(json.readValue(body, PlanAssembler.MeasuredProfile[].class))
                    .filter(p -> p != null && p.chip() != null).toList();
        } catch (RestClientException | JacksonException e) {
            return List.of();
        }
    }

    @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
    record LinkView(String from, String to, Double gbps, Double latencyMs) {
    }

    /**
     * The WAN links among {@code datacenters}; an empty list when the inventory has none or cannot say (the relays
     * then emulate no WAN time).
     */
    public List<io.crosstrain.contracts.WanLink> links(List<String> datacenters) {
        if (datacenters == null || datacenters.size() < 2) {
            return List.of();
        }
        try {
            String body = get("/api/v1/links");
            if (body == null || body.isBlank()) {
                return List.of();
            }
            return Arrays.stream(json.readValue(body, LinkView[].class))
                    .filter(l -> l != null && datacenters.contains(l.from()) && datacenters.contains(l.to()))
                    .map(l -> new io.crosstrain.contracts.WanLink(l.from(), l.to(), l.gbps(), l.latencyMs()))
                    .toList();
        } catch (RestClientException | JacksonException e) {
            return List.of();
        }
    }

    @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
    record ChipView(String name, double tflops, double memoryGb, double memBandwidthTBps, boolean unverified,
                    String source) {
    }

    /**
     * The built-in chip catalogue plus the chips registered in device-inventory over REST (those replace built-in
     * ones of the same name); the built-in one alone when the inventory cannot say.
     */
    public ChipCatalogue catalogue() {
        List<ChipSpec> chips = new java.util.ArrayList<>(ChipCatalogue.defaults().all());
        try {
            String body = get("/api/v1/chips");
            if (body != null && !body.isBlank()) {
                for (ChipView c : json.readValue(body, ChipView[].class)) {
                    if (c != null && c.name() != null && c.tflops() > 0 && c.memoryGb() > 0
                            && c.memBandwidthTBps() > 0) {
                        chips.add(new ChipSpec(c.name(), c.tflops(), c.memoryGb(), c.memBandwidthTBps(),
                                c.unverified(), c.source() == null ? "device-inventory" : c.source()));
                    }
                }
            }
        } catch (RestClientException | JacksonException | IllegalArgumentException e) {
            // planning with the built-in chips is still right for every chip they know
        }
        return ChipCatalogue.of(chips);
    }

    public static class InventoryUnavailableException extends RuntimeException {
        public InventoryUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
