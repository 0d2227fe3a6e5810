package io.crosstrain.inventory.domain;

/** Health of a device as seen from its heartbeats. */
public enum DeviceStatus {
    /** registered, never heard from */
    UNKNOWN,
    HEALTHY,
    /** silent for longer than the suspect timeout */
    SUSPECT,
    /** silent for longer than the down timeout */
    DOWN
}
