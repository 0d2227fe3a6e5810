package io.crosstrain.contracts;

import java.time.Instant;
import java.util.UUID;

/**
 * Published on {@link Topics#DEVICE_EVENTS} (key = deviceId) by device-inventory whenever a device's health changes:
 * {@code REGISTERED} → {@code HEALTHY} ⇄ {@code SUSPECT} → {@code DOWN} (and back to {@code HEALTHY} when heartbeats
 * return).
 *
 * @param from    previous status; null for the first event of a device
 * @param to      new status
 * @param reason  human-readable cause, e.g. "no heartbeat for 61 s"
 */
public record DeviceEvent(UUID eventId, String deviceId, String nodeId, String datacenter, String chip, String from,
                          String to, String reason, Instant at) {
    public static final String HEALTHY = "HEALTHY";
    public static final String SUSPECT = "SUSPECT";
    public static final String DOWN = "DOWN";
}
