package io.crosstrain.inventory.api;

import java.time.Instant;
import java.util.Map;

import io.crosstrain.inventory.domain.Device;
import io.crosstrain.inventory.domain.DeviceStatus;
import io.crosstrain.planner.ChipSpec;

/**
 * A device as the API shows it: what was registered, its derived health, its chip's catalogue figures and the
 * speeds measured on it.
 *
 * @param memoryGb              the device's memory (as registered, else its chip's)
 * @param measuredSamplesPerSec model key → robust measured speed of this device; empty until it has been measured
 */
record DeviceView(
        String id,
        String nodeId,
        String datacenter,
        String chip,
        Map<String, String> labels,
        DeviceStatus status,
        Instant lastHeartbeat,
        String mode,
        Double cpuFlopsPerSec,
        Integer hostCores,
        Double memoryGb,
        Map<String, Double> measuredSamplesPerSec,
        Catalogue catalogue) {

    record Catalogue(double tflops, double memoryGb, double memBandwidthTBps) {
        static Catalogue of(ChipSpec spec) {
            return spec == null ? null : new Catalogue(spec.tflops(), spec.memoryGb(), spec.memBandwidthTBps());
        }
    }

    static DeviceView of(Device d, DeviceStatus status, ChipSpec spec, Map<String, Double> speeds) {
        Double memory = d.memoryGb() != null ? d.memoryGb() : spec == null ? null : spec.memoryGb();
        return new DeviceView(d.id(), d.nodeId(), d.datacenter(), d.chip(), d.labels(), status, d.lastHeartbeat(),
                d.mode(), d.cpuFlopsPerSec(), d.hostCores(), memory, speeds == null ? Map.of() : Map.copyOf(speeds),
                Catalogue.of(spec));
    }
}
