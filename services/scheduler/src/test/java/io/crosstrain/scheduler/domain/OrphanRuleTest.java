package io.crosstrain.scheduler.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.ResumePoint;

/** Which jobs count as orphaned, on a clock the test moves. */
class OrphanRuleTest {

    /** A clock that stands still until the test moves it. */
    static final class TestClock extends Clock {
        Instant now = Instant.parse("2026-03-01T12:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    static final Duration GRACE = Duration.ofSeconds(60);
    final TestClock clock = new TestClock();
    final Activity activity = new Activity(clock);
    final OrphanRule rule = new OrphanRule(GRACE, Duration.ofSeconds(15), 10);
    final UUID job = UUID.randomUUID();

    Plan plan(int version, double stepSeconds) {
        return new Plan(job, version, "sync-dp", "balanced", Plan.EMULATED, 0.5, ModelSpec.demo(),
                DatasetSpec.bundled(), 1000, 8, 1e-3, 7L, 10, List.of("bj"),
                List.of(new PlanDevice("bj-0", "bj-node-0", "bj", "A100-80G", 0, 4, 1, 100.0, stepSeconds),
                        new PlanDevice("bj-1", "bj-node-0", "bj", "A100-80G", 1, 4, 1, 100.0, stepSeconds)),
                new Plan.Prediction(stepSeconds, 1.0, 1.0, 0L));
    }

    void beat() {
        activity.heartbeat("bj-0", clock.instant());
        activity.heartbeat("bj-1", clock.instant());
    }

    boolean orphaned(Plan plan, Instant storedAt) {
        return rule.check(plan, storedAt, activity, clock.instant()).isPresent();
    }

    @Test
    void aJobWhoseMetricsFlowIsNeverOrphanedHoweverOldItsPlan() {
        Plan plan = plan(1, 5.0);
        Instant stored = clock.instant();
        for (int i = 0; i < 240; i++) { // 20 minutes of 5 s steps
            clock.advance(Duration.ofSeconds(5));
            beat();
            activity.metric(job, 1);
            assertThat(orphaned(plan, stored)).as("after %d s", 5 * (i + 1)).isFalse();
        }
    }

    @Test
    void aJobSilentForTheGraceWhileItsDevicesBeatIsOrphaned() {
        Plan plan = plan(1, 5.0);
        Instant stored = clock.instant();
        clock.advance(Duration.ofMinutes(5));
        activity.metric(job, 1);
        clock.advance(GRACE.minusSeconds(1));
        beat();
        assertThat(orphaned(plan, stored)).isFalse();

        clock.advance(Duration.ofSeconds(1));
        beat();
        assertThat(rule.check(plan, stored, activity, clock.instant())).hasValueSatisfying(v -> {
            assertThat(v.reason()).contains("orphaned", "no step metric for 60 s", "2 devices of plan v1");
            assertThat(v.autoResume()).isTrue();
        });
    }

    @Test
    void aDeviceWithoutAFreshHeartbeatIsAFailureNotAnOrphan() {
        Plan plan = plan(1, 5.0);
        Instant stored = clock.instant();
        activity.heartbeat("bj-0", clock.instant());
        clock.advance(Duration.ofMinutes(2));
        activity.heartbeat("bj-0", clock.instant()); // bj-1 last beat two minutes ago
        assertThat(orphaned(plan, stored)).isFalse();
        activity.heartbeat("bj-1", clock.instant());
        assertThat(orphaned(plan, stored)).isTrue();
    }

    @Test
    void aYoungPlanIsLeftAloneAndTheGraceGrowsWithThePredictedStep() {
        Plan plan = plan(1, 30.0); // ten predicted steps: 300 s
        assertThat(rule.graceFor(plan)).isEqualTo(Duration.ofSeconds(300));
        assertThat(rule.graceFor(plan(1, 0.5))).isEqualTo(GRACE);
        Instant stored = clock.instant();
        clock.advance(Duration.ofSeconds(299));
        beat();
        assertThat(orphaned(plan, stored)).isFalse();
        clock.advance(Duration.ofSeconds(1));
        beat();
        assertThat(orphaned(plan, stored)).isTrue();
    }

    @Test
    void afterARestartSilenceCountsFromWhatIsKnownAndTheReadBackMetricsMoveThatBack() {
        Plan plan = plan(1, 5.0);
        Instant stored = clock.instant().minus(Duration.ofHours(1)); // stored before the restart
        // the scheduler restarts now: it has seen no metric yet
        Activity restarted = new Activity(clock);
        clock.advance(Duration.ofSeconds(20));
        restarted.heartbeat("bj-0", clock.instant());
        restarted.heartbeat("bj-1", clock.instant());
        assertThat(rule.check(plan, stored, restarted, clock.instant())).as("20 s of silence known").isEmpty();

        // the first check read back the metrics of the last minute: none for this job
        restarted.seeded(clock.instant().minus(GRACE));
        assertThat(rule.check(plan, stored, restarted, clock.instant())).isPresent();

        // ...but a job that reported 30 s before the read is alive
        restarted.metric(job, 1, clock.instant().minusSeconds(30));
        assertThat(rule.check(plan, stored, restarted, clock.instant())).isEmpty();
    }

    @Test
    void aResumeThatNeverGotAStepDoneWaitsForAResumeRequest() {
        Plan resumed = plan(3, 5.0).withResume(new ResumePoint(40, "m/40.json"));
        Instant stored = clock.instant();
        activity.metric(job, 2); // a straggler of the version before
        clock.advance(Duration.ofMinutes(2));
        beat();
        assertThat(rule.check(resumed, stored, activity, clock.instant())).hasValueSatisfying(v -> {
            assertThat(v.autoResume()).isFalse();
            assertThat(v.reason()).contains("resume from step 40 got no step done");
        });

        activity.metric(job, 3);
        clock.advance(Duration.ofMinutes(2));
        beat();
        assertThat(rule.check(resumed, stored, activity, clock.instant()))
                .hasValueSatisfying(v -> assertThat(v.autoResume()).isTrue());
    }

    @Test
    void aHeartbeatStampedInTheFutureCountsAsNow() {
        Plan plan = plan(1, 5.0);
        Instant stored = clock.instant();
        activity.heartbeat("bj-0", clock.instant().plus(Duration.ofHours(1)));
        activity.heartbeat("bj-1", clock.instant().plus(Duration.ofHours(1)));
        clock.advance(Duration.ofMinutes(2));
        assertThat(orphaned(plan, stored)).as("the beats are two minutes old, not fresh").isFalse();
    }
}
