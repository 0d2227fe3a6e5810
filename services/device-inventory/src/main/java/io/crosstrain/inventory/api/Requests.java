package io.crosstrain.inventory.api;

import java.util.Map;

/** REST request bodies. Unknown fields are rejected by the JSON mapper configuration. */
final class Requests {

    private Requests() {
    }

    record CreateDatacenter(String id, String name, String region) {
    }

    record RegisterDevice(String id, String nodeId, String datacenter, String chip, Map<String, String> labels) {
    }
}
