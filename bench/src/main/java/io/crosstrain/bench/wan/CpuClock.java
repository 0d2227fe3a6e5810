package io.crosstrain.bench.wan;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Mean CPU time of one inner step of one replica, the unit t_c of emulated time. Thread CPU time (not wall time),
 * so other load on the machine does not stretch it.
 */
public final class CpuClock {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private final LongAdder nanos = new LongAdder();
    private final LongAdder steps = new LongAdder();

    /** CPU time of the calling thread so far, in nanoseconds (wall time where the JVM cannot tell). */
    public static long now() {
        return THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : System.nanoTime();
    }

    public void add(long stepNanos) {
        nanos.add(stepNanos);
        steps.increment();
    }

    public long steps() {
        return steps.sum();
    }

    /** Mean seconds per step, NaN before the first. */
    public double meanSeconds() {
        long n = steps.sum();
        return n == 0 ? Double.NaN : nanos.sum() / 1e9 / n;
    }
}
