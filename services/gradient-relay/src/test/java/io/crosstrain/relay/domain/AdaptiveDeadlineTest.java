package io.crosstrain.relay.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class AdaptiveDeadlineTest {

    @Test
    void noDeadlineUntilEnoughSamplesThenMedianPlusKMad() {
        AdaptiveDeadline d = new AdaptiveDeadline(10, 3, 3.0, 0);
        assertThat(d.observe("b", 100)).isFalse();
        assertThat(d.observe("b", 10_000)).as("no deadline yet").isFalse();
        assertThat(d.deadlineMs("b")).isEqualTo(-1);
        d.observe("b", 120);
        // waits 100, 10000, 120: median 120, deviations 20, 9880, 0 → MAD 20 → 120 + 3·20
        assertThat(d.deadlineMs("b")).isEqualTo(180);
        assertThat(d.observe("b", 170)).isFalse();
        assertThat(d.observe("b", 400)).isTrue();
        assertThat(d.deadlineMs("other")).isEqualTo(-1);
    }

    @Test
    void theFloorKeepsASteadyLinkFromBeingCalledLateForJitter() {
        AdaptiveDeadline d = new AdaptiveDeadline(20, 5, 4.0, 250);
        for (int i = 0; i < 10; i++) {
            d.observe("b", 50);
        }
        assertThat(d.deadlineMs("b")).isEqualTo(250);
        assertThat(d.observe("b", 240)).isFalse();
    }

    @Test
    void followsALinkThatGotSlowerInsteadOfFlaggingItForever() {
        AdaptiveDeadline d = new AdaptiveDeadline(8, 4, 4.0, 0);
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 8; i++) {
            d.observe("b", 100 + r.nextInt(10));
        }
        int late = 0;
        for (int i = 0; i < 20; i++) {
            late += d.observe("b", 1000 + r.nextInt(10)) ? 1 : 0;
        }
        assertThat(late).as("only the first few after the change are late").isBetween(1, 5);
        assertThat(d.observe("b", 1005)).isFalse();
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new AdaptiveDeadline(3, 4, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AdaptiveDeadline(3, 2, -1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
