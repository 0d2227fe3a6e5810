package io.crosstrain.worker.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.StepMetric;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

class DeviceMetersTest {

    final UUID job = UUID.randomUUID();

    StepMetric step(String device, int step, int batch, double busyMs, double stepMs, double samplesPerSec,
                    String error) {
        return new StepMetric(job, 1, device, "dc-a", "A100-80G", step, batch, 2.5, busyMs, busyMs, 1.0, stepMs,
                0, 0, 0, 10, null, "emulated", false, error, samplesPerSec, 1, "demo");
    }

    @Test
    void gaugesHoldTheLastStepAndTheCounterAddsEverySample() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        DeviceMeters meters = new DeviceMeters(registry);
        meters.record(step("d0", 1, 8, 30, 40, 266.0, null));
        meters.record(step("d0", 2, 8, 20, 80, 400.0, null));
        meters.record(step("d1", 1, 4, 50, 40, 80.0, null)); // busy > wall: clipped to 1
        meters.record(step("d1", 2, 4, 0, 0, 0.0, "boom"));

        var d0 = new String[] {"device", "d0", "chip", "A100-80G", "datacenter", "dc-a"};
        assertThat(registry.get(DeviceMeters.SAMPLES_PER_SECOND).tags(d0).gauge().value()).isEqualTo(400.0);
        assertThat(registry.get(DeviceMeters.BUSY_FRACTION).tags(d0).gauge().value()).isEqualTo(0.25);
        assertThat(registry.get(DeviceMeters.SAMPLES).tags(d0).counter().count()).isEqualTo(16.0);
        assertThat(registry.get(DeviceMeters.BUSY_FRACTION).tag("device", "d1").gauge().value()).isEqualTo(1.0);
        assertThat(registry.get(DeviceMeters.SAMPLES).tag("device", "d1").counter().count()).isEqualTo(4.0);
        assertThat(registry.get(DeviceMeters.FAILURES).tag("device", "d1").counter().count()).isEqualTo(1.0);
        // one series per device, whatever the number of steps
        assertThat(registry.find(DeviceMeters.BUSY_FRACTION).gauges()).hasSize(2);
    }

    @Test
    void prometheusRendersTheNamesTheDashboardQueries() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        DeviceMeters meters = new DeviceMeters(registry);
        meters.record(step("d0", 1, 8, 30, 60, 266.0, null));
        String scrape = registry.scrape();
        // gauges hold their object weakly: without this, a collection before the scrape turns them into NaN
        java.lang.ref.Reference.reachabilityFence(meters);
        assertThat(scrape).contains(
                "crosstrain_device_samples_per_second{chip=\"A100-80G\",datacenter=\"dc-a\",device=\"d0\"} 266.0");
        assertThat(scrape).contains(
                "crosstrain_device_busy_fraction{chip=\"A100-80G\",datacenter=\"dc-a\",device=\"d0\"} 0.5");
        assertThat(scrape).contains(
                "crosstrain_device_samples_total{chip=\"A100-80G\",datacenter=\"dc-a\",device=\"d0\"} 8.0");
    }
}
