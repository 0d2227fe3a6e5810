package io.crosstrain.contracts;

import java.time.Instant;

/**
 * Published on {@link Topics#DEVICE_HEARTBEATS} (key = deviceId) by every gpu-worker for each of its devices.
 *
 * @param mode             {@code emulated} or {@code measured-on-device}
 * @param cpuFlopsPerSec   emulation calibration: training FLOP/s one CPU thread of this host achieves on the
 *                         reference model (0 when not emulated)
 * @param hostCores        CPU cores of the host the emulated device shares
 */
public record Heartbeat(String deviceId, String nodeId, String datacenter, String chip, String mode,
                        double cpuFlopsPerSec, int hostCores, Instant at) {
}
