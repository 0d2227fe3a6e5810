package io.crosstrain.inventory.api;

import java.util.Map;

/**
 * REST request bodies. Unknown fields are rejected by the JSON mapper configuration; numbers are boxed so a missing
 * one can be reported as required rather than read as 0.
 */
final class Requests {

    private Requests() {
    }

    record CreateDatacenter(String id, String name, String region) {
    }

    /** @param memoryGb optional; the chip's catalogue memory when absent */
    record RegisterDevice(String id, String nodeId, String datacenter, String chip, Double memoryGb,
                          Map<String, String> labels) {
    }

    record CreateNode(String id, String datacenter) {
    }

    record PutLink(String from, String to, Double gbps, Double latencyMs) {
    }

    record DefineChip(String name, Double tflops, Double memoryGb, Double memBandwidthTBps, Boolean unverified,
                      String source) {
    }
}
