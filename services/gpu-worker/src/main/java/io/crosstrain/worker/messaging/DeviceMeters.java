package io.crosstrain.worker.messaging;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.crosstrain.contracts.StepMetric;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * Per-device meters from the step metrics this node publishes, tagged {@code device}, {@code chip} and
 * {@code datacenter} (a node's own devices only, so the series stay few):
 * <ul>
 * <li>{@value #SAMPLES_PER_SECOND}: the speed the last step measured, as {@link StepMetric#samplesPerSec()} reports
 * it (batch over busy time, in real chip time under emulation);</li>
 * <li>{@value #BUSY_FRACTION}: busy time over wall time of the last step, 0..1;</li>
 * <li>{@value #SAMPLES}: samples the device trained (its rate is the device's achieved throughput);</li>
 * <li>{@value #FAILURES}: steps the device reported as failed.</li>
 * </ul>
 */
public final class DeviceMeters {

    public static final String SAMPLES_PER_SECOND = "crosstrain.device.samples.per.second";
    public static final String BUSY_FRACTION = "crosstrain.device.busy.fraction";
    public static final String SAMPLES = "crosstrain.device.samples";
    public static final String FAILURES = "crosstrain.device.failures";

    private final MeterRegistry registry;
    private final Map<Key, Device> devices = new ConcurrentHashMap<>();

    public DeviceMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    private record Key(String device, String chip, String datacenter) {
        Tags tags() {
            return Tags.of("device", device, "chip", chip, "datacenter", datacenter);
        }
    }

    /** Holds the last step's figures; the gauges read them (and keep it reachable through the map). */
    private static final class Device {
        volatile double samplesPerSecond;
        volatile double busyFraction;
        final Counter samples;
        final Counter failures;

        Device(MeterRegistry r, Tags tags) {
            Gauge.builder(SAMPLES_PER_SECOND, this, d -> d.samplesPerSecond).tags(tags)
                    .description("speed the device's last step measured: batch over busy time, in chip time")
                    .register(r);
            Gauge.builder(BUSY_FRACTION, this, d -> d.busyFraction).tags(tags)
                    .description("busy time over wall time of the device's last step").register(r);
            samples = Counter.builder(SAMPLES).tags(tags).description("samples the device trained").register(r);
            failures = Counter.builder(FAILURES).tags(tags).description("steps the device reported as failed")
                    .register(r);
        }
    }

    public void record(StepMetric m) {
        if (m.deviceId() == null) {
            return;
        }
        Key key = new Key(m.deviceId(), orUnknown(m.chip()), orUnknown(m.datacenter()));
        Device d = devices.computeIfAbsent(key, k -> new Device(registry, k.tags()));
        if (m.error() != null) {
            d.failures.increment();
            return;
        }
        d.samples.increment(Math.max(0, m.batch()));
        d.samplesPerSecond = finiteOrZero(m.samplesPerSec());
        d.busyFraction = m.stepMs() > 0 ? Math.max(0.0, Math.min(1.0, m.busyMs() / m.stepMs())) : 0.0;
    }

    private static String orUnknown(String s) {
        return s == null || s.isBlank() ? "unknown" : s;
    }

    private static double finiteOrZero(Double v) {
        return v == null || !Double.isFinite(v) ? 0.0 : v;
    }
}
