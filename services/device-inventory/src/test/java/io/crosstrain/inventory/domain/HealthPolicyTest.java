package io.crosstrain.inventory.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class HealthPolicyTest {

    private final HealthPolicy policy = new HealthPolicy(Duration.ofSeconds(15), Duration.ofSeconds(60));
    private final Instant now = Instant.parse("2025-01-01T12:00:00Z");

    @Test
    void neverHeardFromIsUnknown() {
        assertThat(policy.status(null, now)).isEqualTo(DeviceStatus.UNKNOWN);
    }

    @Test
    void silenceIsJudgedOnlyAfterReadingHeartbeatsForTheSuspectWindow() {
        assertThat(policy.maySweep(null, now)).as("not reading heartbeats").isFalse();
        // restarted 10 s ago after a minute down: every device looks silent, but it is this instance's own gap
        assertThat(policy.maySweep(now.minusSeconds(10), now)).isFalse();
        assertThat(policy.maySweep(now.minusSeconds(15), now)).isTrue();
        assertThat(policy.maySweep(now.minusSeconds(600), now)).isTrue();
    }

    @Test
    void statusFollowsTheSilence() {
        assertThat(policy.status(now, now)).isEqualTo(DeviceStatus.HEALTHY);
        assertThat(policy.status(now.minusSeconds(15), now)).isEqualTo(DeviceStatus.HEALTHY);
        assertThat(policy.status(now.minusSeconds(16), now)).isEqualTo(DeviceStatus.SUSPECT);
        assertThat(policy.status(now.minusSeconds(60), now)).isEqualTo(DeviceStatus.SUSPECT);
        assertThat(policy.status(now.minusSeconds(61), now)).isEqualTo(DeviceStatus.DOWN);
    }

    @Test
    void downMustNotComeBeforeSuspect() {
        assertThatThrownBy(() -> new HealthPolicy(Duration.ofSeconds(30), Duration.ofSeconds(10)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void eventReasonsSayWhatHappened() {
        assertThat(HealthTracker.reason(null, DeviceStatus.HEALTHY, now, now)).isEqualTo("first heartbeat");
        assertThat(HealthTracker.reason("DOWN", DeviceStatus.HEALTHY, now, now)).isEqualTo("heartbeats resumed");
        assertThat(HealthTracker.reason("HEALTHY", DeviceStatus.SUSPECT, now.minusMillis(16_400), now))
                .isEqualTo("no heartbeat for 16 s");
        assertThat(HealthTracker.reason("SUSPECT", DeviceStatus.DOWN, now.minusSeconds(61), now))
                .isEqualTo("no heartbeat for 61 s");
    }

    @Test
    void silenceOnlyMakesThingsWorse() {
        assertThat(HealthTracker.worse(DeviceStatus.SUSPECT, DeviceStatus.HEALTHY)).isTrue();
        assertThat(HealthTracker.worse(DeviceStatus.DOWN, DeviceStatus.SUSPECT)).isTrue();
        assertThat(HealthTracker.worse(DeviceStatus.SUSPECT, DeviceStatus.DOWN)).isFalse();
        assertThat(HealthTracker.worse(DeviceStatus.HEALTHY, DeviceStatus.HEALTHY)).isFalse();
    }
}
