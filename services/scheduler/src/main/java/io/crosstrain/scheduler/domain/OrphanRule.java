package io.crosstrain.scheduler.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;

/**
 * A job is orphaned when no worker runs it any more although its devices are up: after a whole-stack restart every
 * worker is new and idle while the stored plan still names the devices. Orphaned means: the job's newest plan is
 * older than the grace, no step metric of the job arrived within the grace, and every device of the plan sent a
 * heartbeat within {@code heartbeatFresh}. The grace is {@code after}, or {@code steps} predicted steps when that is
 * longer, so a slow job whose metrics flow is never orphaned. The caller also asks the inventory before acting.
 *
 * @param steps a step this many times slower than predicted still does not count as silence
 */
public record OrphanRule(Duration after, Duration heartbeatFresh, int steps) {

    /** @param autoResume false when the plan was itself a resume that never got a step done: do not loop */
    public record Verdict(String reason, boolean autoResume) {
    }

    public Duration graceFor(Plan plan) {
        double step = plan.predicted() == null ? 0 : plan.predicted().stepSeconds();
        Duration slow = Duration.ofMillis((long) (steps * step * 1000));
        return slow.compareTo(after) > 0 ? slow : after;
    }

    public Optional<Verdict> check(Plan plan, Instant planStoredAt, Activity activity, Instant now) {
        Duration grace = graceFor(plan);
        if (Duration.between(planStoredAt, now).compareTo(grace) < 0) {
            return Optional.empty();
        }
        Activity.Seen seen = activity.lastMetric(plan.jobId());
        Instant silentFrom = seen == null ? activity.watchingSince() : seen.at();
        Duration silence = Duration.between(silentFrom, now);
        if (silence.compareTo(grace) < 0) {
            return Optional.empty();
        }
        for (PlanDevice d : plan.devices()) {
            Instant hb = activity.lastHeartbeat(d.deviceId());
            if (hb == null || Duration.between(hb, now).compareTo(heartbeatFresh) > 0) {
                return Optional.empty(); // a device is gone: that is a failure for the device events, not this rule
            }
        }
        String reason = "orphaned: no step metric for " + silence.toSeconds() + " s (grace " + grace.toSeconds()
                + " s) while all " + plan.devices().size() + " devices of plan v" + plan.planVersion()
                + " send heartbeats";
        boolean progressed = seen != null && seen.planVersion() >= plan.planVersion();
        if (plan.resume() != null && !progressed) {
            return Optional.of(new Verdict(reason + "; its resume from step " + plan.resume().step()
                    + " got no step done, so it waits for a resume request", false));
        }
        return Optional.of(new Verdict(reason, true));
    }
}
