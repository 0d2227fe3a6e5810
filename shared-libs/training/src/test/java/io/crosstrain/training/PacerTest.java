package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PacerTest {

    @Test
    void pacedStepTakesTheComputedTime() {
        // the one wall-clock test of the module: a 30 ms step must take 30 ms, give or take scheduling
        Pacer pacer = new Pacer();
        long start = System.nanoTime();
        busyFor(5_000_000L); // pretend the real compute took 5 ms
        long waited = pacer.paceUntil(start, 0.030);
        long elapsed = System.nanoTime() - start;
        assertThat(elapsed).isBetween(30_000_000L, 45_000_000L);
        assertThat(waited).isPositive().isLessThanOrEqualTo(elapsed);
    }

    @Test
    void returnsAtOnceWhenTheDeadlineHasPassed() {
        AtomicLong clock = new AtomicLong(1_000_000_000L);
        Pacer pacer = new Pacer(clock::get);
        assertThat(pacer.paceUntil(0L, 0.5)).isZero();
    }

    @Test
    void waitsOnTheInjectedClock() {
        AtomicLong clock = new AtomicLong(0L);
        // every reading advances the fake clock by 1 ms
        Pacer pacer = new Pacer(() -> clock.getAndAdd(1_000_000L));
        long waited = pacer.paceUntil(0L, 0.010);
        assertThat(waited).isEqualTo(10_000_000L);
    }

    @Test
    void rejectsNegativeDurations() {
        assertThatThrownBy(() -> new Pacer().paceUntil(0L, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Pacer().paceUntil(0L, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }

    private static void busyFor(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() - end < 0) {
            Thread.onSpinWait();
        }
    }
}
