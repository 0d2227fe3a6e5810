package io.crosstrain.training;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Emulation pacing (ARCHITECTURE.md §6): after the real CPU work of a step, wait until the step has taken the wall
 * time the emulated chip would need. Parks the thread for all but the last {@value #SPIN_NANOS} ns, then spins on
 * {@link Thread#onSpinWait()} to land close to the deadline without burning a core.
 */
public final class Pacer {

    /** Below this remaining time we spin instead of parking (park granularity is often 50-100 µs). */
    static final long SPIN_NANOS = 200_000L;

    private final LongSupplier nanoTime;

    public Pacer() {
        this(System::nanoTime);
    }

    /** With an injectable clock (nanoseconds, monotonic), e.g. for tests. */
    public Pacer(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /**
     * Blocks until {@code startNanos + seconds} (on this pacer's clock) has passed. Returns at once if the deadline
     * is already behind us, and early if the thread is interrupted (the interrupt flag stays set).
     *
     * @return the nanoseconds actually spent waiting in this call
     */
    public long paceUntil(long startNanos, double seconds) {
        if (Double.isNaN(seconds) || seconds < 0) {
            throw new IllegalArgumentException("seconds must be >= 0: " + seconds);
        }
        // nanoTime values are compared by difference (they may wrap), as System.nanoTime requires
        long deadline = startNanos + Math.round(seconds * 1e9);
        long entered = nanoTime.getAsLong();
        long now = entered;
        while (now - deadline < 0) {
            if (Thread.currentThread().isInterrupted()) {
                break;
            }
            long remaining = deadline - now;
            if (remaining > SPIN_NANOS) {
                LockSupport.parkNanos(this, remaining - SPIN_NANOS);
            } else {
                Thread.onSpinWait();
            }
            now = nanoTime.getAsLong();
        }
        return now - entered;
    }

    /** Current time on this pacer's clock, to pass as {@code startNanos}. */
    public long now() {
        return nanoTime.getAsLong();
    }
}
