package io.crosstrain.inventory.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Derives a device's status from the time of its last heartbeat. The API computes it on every read, so what it shows
 * can never be stale; {@link HealthTracker} records the transitions as events.
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

    public Duration suspectAfter() {
        return suspectAfter;
    }

    public Duration downAfter() {
        return downAfter;
    }

    /**
     * Whether silence may be judged at {@code now} by an instance that has read heartbeats since {@code readingSince}
     * (null: not yet). Before it has read for {@code suspectAfter}, what looks like silence may be its own downtime
     * or the backlog it has not read yet; a restarted inventory would otherwise call every device down.
     */
    public boolean maySweep(Instant readingSince, Instant now) {
        return readingSince != null && !readingSince.isAfter(now.minus(suspectAfter));
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
