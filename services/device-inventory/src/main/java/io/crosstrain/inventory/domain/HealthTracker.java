package io.crosstrain.inventory.domain;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.crosstrain.contracts.DeviceEvent;
import io.crosstrain.inventory.persistence.DeviceEventRepository;
import io.crosstrain.inventory.persistence.DeviceRepository;
import io.crosstrain.inventory.persistence.DeviceRepository.HealthRow;

/**
 * Turns the derived health of a device into recorded transitions. The status shown on read is always derived from
 * the last heartbeat ({@link HealthPolicy}); this keeps {@code last_status} following it and writes a
 * {@link DeviceEvent} to the outbox, in the same transaction, for every change.
 */
@Service
public class HealthTracker {

    private static final Logger log = LoggerFactory.getLogger(HealthTracker.class);
    /** Devices looked at per sweep; the rest follow on the next one. */
    static final int SWEEP_LIMIT = 1000;

    private final DeviceRepository devices;
    private final DeviceEventRepository events;
    private final HealthPolicy policy;
    private final Clock clock;

    public HealthTracker(DeviceRepository devices, DeviceEventRepository events, HealthPolicy policy, Clock clock) {
        this.devices = devices;
        this.events = events;
        this.policy = policy;
        this.clock = clock;
    }

    /** Since when this instance reads heartbeats (partitions assigned), or null while it does not. */
    private volatile Instant readingSince;

    /** This instance's heartbeat consumer got partitions ({@code true}) or lost them all. */
    public void readingHeartbeats(boolean reading) {
        readingSince = reading ? clock.instant() : null;
        if (reading) {
            log.info("reading heartbeats: silence is judged from {} on", readingSince.plus(policy.suspectAfter()));
        } else {
            log.info("not reading heartbeats");
        }
    }

    /**
     * Devices that look worse now than their stored status says; each is then settled by {@link #settle}. None
     * until this instance has read heartbeats for {@code suspectAfter} ({@link HealthPolicy#maySweep}).
     */
    @Transactional(readOnly = true)
    public List<HealthRow> candidates() {
        Instant now = clock.instant();
        if (!policy.maySweep(readingSince, now)) {
            return List.of();
        }
        return devices.healthChangeCandidates(now.minus(policy.suspectAfter()), now.minus(policy.downAfter()),
                SWEEP_LIMIT);
    }

    /**
     * Records the device's status change, if any, as of now, right after a heartbeat was applied in the caller's
     * transaction. Only a heartbeat can make a device better (back to HEALTHY).
     */
    @Transactional
    public Optional<DeviceEvent> evaluate(String deviceId) {
        return devices.healthRow(deviceId).flatMap(row -> record(row, true));
    }

    /**
     * Records that a device read earlier by a sweep has got worse, unless someone else (another instance, or a
     * heartbeat) has changed it since; then nothing is written and the next sweep looks again. Silence only ever
     * makes a device worse: were the sweep allowed to go back too, an instance whose clock lags another's would
     * undo the other's DOWN, and both would flap the device between SUSPECT and DOWN.
     */
    @Transactional
    public Optional<DeviceEvent> settle(HealthRow row) {
        return record(row, false);
    }

    private Optional<DeviceEvent> record(HealthRow row, boolean mayImprove) {
        Instant now = clock.instant();
        Instant last = row.lastHeartbeat() == null ? null : row.lastHeartbeat().toInstant();
        DeviceStatus derived = policy.status(last, now);
        if (derived == DeviceStatus.UNKNOWN || derived.name().equals(row.lastStatus())) {
            return Optional.empty();
        }
        if (!mayImprove && row.lastStatus() != null && !worse(derived, DeviceStatus.valueOf(row.lastStatus()))) {
            return Optional.empty();
        }
        String to = derived.name();
        if (!devices.compareAndSetStatus(row.id(), row.lastStatus(), to, row.lastHeartbeat())) {
            return Optional.empty();
        }
        DeviceEvent event = new DeviceEvent(UUID.randomUUID(), row.id(), row.nodeId(), row.datacenter(), row.chip(),
                row.lastStatus(), to, reason(row.lastStatus(), derived, last, now), now);
        events.add(event);
        log.info("device {} {} -> {}: {}", row.id(), row.lastStatus(), to, event.reason());
        return Optional.of(event);
    }

    /** HEALTHY < SUSPECT < DOWN, in declaration order. */
    static boolean worse(DeviceStatus a, DeviceStatus b) {
        return a.ordinal() > b.ordinal();
    }

    static String reason(String from, DeviceStatus to, Instant lastHeartbeat, Instant now) {
        if (to == DeviceStatus.HEALTHY) {
            return from == null ? "first heartbeat" : "heartbeats resumed";
        }
        long silent = Math.max(0, Duration.between(lastHeartbeat, now).toSeconds());
        return "no heartbeat for " + silent + " s";
    }
}
