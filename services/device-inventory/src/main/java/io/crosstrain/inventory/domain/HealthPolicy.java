package io.crosstrain.inventory.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Derives a device's status from the time of its last heartbeat. Computed on every read rather than stored, so a
 * device that goes silent turns SUSPECT and DOWN without any background job having to notice.
 */
public final class HealthPolicy {

    private final Duration suspectAfter;
    private final Duration downAfter;

    public HealthPolicy(Duration suspectAfter, Duration downAfter) {
        this.suspectAfter = Objects.requireNonNull(suspectAfter);
        this.downAfter = Objects.requireNonNull(downAfter);
        if (downAfter.compareTo(suspectAfter) < 0) {
            throw new IllegalArgumentException("downAfter must not be shorter than suspectAfter");
        }
    }

    public DeviceStatus status(Instant lastHeartbeat, Instant now) {
        if (lastHeartbeat == null) {
            return DeviceStatus.UNKNOWN;
        }
        Duration silence = Duration.between(lastHeartbeat, now);
        if (silence.compareTo(downAfter) > 0) {
            return DeviceStatus.DOWN;
        }
        if (silence.compareTo(suspectAfter) > 0) {
            return DeviceStatus.SUSPECT;
        }
        return DeviceStatus.HEALTHY;
    }
}
