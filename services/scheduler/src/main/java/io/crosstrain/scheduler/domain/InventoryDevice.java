package io.crosstrain.scheduler.domain;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

import io.crosstrain.contracts.Plan;

/**
 * The part of device-inventory's device view the scheduler needs ({@code GET /api/v1/devices}); heartbeat time and
 * the chip's catalogue entry are ignored here because the planner has its own catalogue.
 *
 * @param status          HEALTHY when heartbeats are current; anything else keeps the device out of a plan
 * @param mode            {@code emulated} or {@code measured-on-device}, as last reported by the worker
 * @param cpuFlopsPerSec  emulation calibration of the host (0 until the worker has measured it)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record InventoryDevice(
        String id,
        String nodeId,
        String datacenter,
        String chip,
        String status,
        String mode,
        Double cpuFlopsPerSec,
        Integer hostCores,
        Double memoryGb,
        java.util.Map<String, String> labels) {

    public InventoryDevice(String id, String nodeId, String datacenter, String chip, String status, String mode,
                           Double cpuFlopsPerSec, Integer hostCores) {
        this(id, nodeId, datacenter, chip, status, mode, cpuFlopsPerSec, hostCores, null, java.util.Map.of());
    }

    public static final String HEALTHY = "HEALTHY";

    public boolean healthy() {
        return HEALTHY.equalsIgnoreCase(status);
    }

    public boolean emulated() {
        return Plan.EMULATED.equals(mode);
    }

    /**
     * Emulated devices are paced from the CPU calibration, so they are usable only once it is known. A device on a
     * real accelerator runs unpaced and needs none.
     */
    public boolean calibrated() {
        return Plan.MEASURED.equals(mode) || (cpuFlopsPerSec != null && cpuFlopsPerSec > 0);
    }

    public boolean ready() {
        return healthy() && calibrated();
    }

    public int cores() {
        return hostCores == null ? 0 : hostCores;
    }
}
