package io.crosstrain.scheduler.domain;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the scheduler saw lately of jobs (step metrics) and devices (heartbeats), for {@link OrphanRule}. In memory
 * only: after a restart nothing is known before {@link #watchingSince()}, which a read of the recent metrics moves
 * back ({@link #seeded}).
 */
public final class Activity {

    /** The newest metric of a job and the highest plan version any of its metrics named. */
    public record Seen(Instant at, int planVersion) {
    }

    private final Clock clock;
    private final Map<UUID, Seen> metrics = new ConcurrentHashMap<>();
    private final Map<String, Instant> heartbeats = new ConcurrentHashMap<>();
    private volatile Instant watchingSince;

    public Activity(Clock clock) {
        this.clock = Objects.requireNonNull(clock);
        this.watchingSince = clock.instant();
    }

    public Clock clock() {
        return clock;
    }

    /** A step metric of the job arrived now. */
    public void metric(UUID jobId, int planVersion) {
        metric(jobId, planVersion, clock.instant());
    }

    public void metric(UUID jobId, int planVersion, Instant at) {
        metrics.merge(jobId, new Seen(at, planVersion), (a, b) -> new Seen(a.at().isAfter(b.at()) ? a.at() : b.at(),
                Math.max(a.planVersion(), b.planVersion())));
    }

    /**
     * A heartbeat of the device, stamped {@code at} by its worker (null: now). A stamp in the future counts as now,
     * so a fast worker clock cannot keep a device alive.
     */
    public void heartbeat(String deviceId, Instant at) {
        Instant now = clock.instant();
        Instant t = at == null || at.isAfter(now) ? now : at;
        heartbeats.merge(deviceId, t, (a, b) -> a.isAfter(b) ? a : b);
    }

    /** Every metric since {@code since} is known (the recent ones were read back at start-up). */
    public void seeded(Instant since) {
        if (since.isBefore(watchingSince)) {
            watchingSince = since;
        }
    }

    public Instant watchingSince() {
        return watchingSince;
    }

    public Seen lastMetric(UUID jobId) {
        return metrics.get(jobId);
    }

    public Instant lastHeartbeat(String deviceId) {
        return heartbeats.get(deviceId);
    }

    public void forget(UUID jobId) {
        metrics.remove(jobId);
    }
}
