package io.crosstrain.contracts;

import java.util.List;
import java.util.Map;

/**
 * Where a job may run. Every field is optional (null or empty = no constraint).
 *
 * @param datacenters  allowed datacenter ids
 * @param chips        allowed chip names (catalogue names)
 * @param labels       labels every chosen device must carry with exactly these values
 * @param minMemoryGb  least device memory, in GB
 * @param minDevices   the job is not started on fewer devices (gang admission)
 * @param maxDevices   the job never holds more devices, also when more join while it runs
 */
public record Placement(List<String> datacenters, List<String> chips, Map<String, String> labels, Double minMemoryGb,
                        Integer minDevices, Integer maxDevices) {

    public static Placement none() {
        return new Placement(List.of(), List.of(), Map.of(), null, null, null);
    }
}
