package io.crosstrain.inventory.api;

import java.time.Instant;
import java.util.Map;

import io.crosstrain.inventory.domain.Device;
import io.crosstrain.inventory.domain.DeviceStatus;
import io.crosstrain.planner.ChipSpec;

/** A device as the API shows it: what was registered, its derived health and its chip's catalogue figures. */
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
        Catalogue catalogue) {

    record Catalogue(double tflops, double memoryGb, double memBandwidthTBps) {
        static Catalogue of(ChipSpec spec) {
            return spec == null ? null : new Catalogue(spec.tflops(), spec.memoryGb(), spec.memBandwidthTBps());
        }
    }

    static DeviceView of(Device d, DeviceStatus status, ChipSpec spec) {
        return new DeviceView(d.id(), d.nodeId(), d.datacenter(), d.chip(), d.labels(), status, d.lastHeartbeat(),
                d.mode(), d.cpuFlopsPerSec(), d.hostCores(), Catalogue.of(spec));
    }
}
