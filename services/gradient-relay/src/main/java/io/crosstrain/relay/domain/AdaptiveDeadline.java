package io.crosstrain.relay.domain;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A round deadline per contributor that follows how late it usually is, instead of a fixed timeout: the median of
 * its recent waits plus {@code k} times their median absolute deviation (a robust spread: one slow round does not
 * move it much), never below a floor. A contributor with too few observations has no deadline yet (it is never late).
 * Not thread-safe; the aggregator calls it under its lock.
 */
public final class AdaptiveDeadline {

    private final int window;
    private final int minSamples;
    private final double k;
    private final long floorMs;
    private final Map<String, ArrayDeque<Long>> waits = new HashMap<>();

    public AdaptiveDeadline(int window, int minSamples, double k, long floorMs) {
        if (window < 1 || minSamples < 1 || minSamples > window || !(k >= 0) || floorMs < 0) {
            throw new IllegalArgumentException("window ≥ minSamples ≥ 1, k ≥ 0 and floor ≥ 0 required");
        }
        this.window = window;
        this.minSamples = minSamples;
        this.k = k;
        this.floorMs = floorMs;
    }

    /** The current deadline of a contributor in ms after its round opened, or -1 while it has too few samples. */
    public long deadlineMs(String contributor) {
        ArrayDeque<Long> w = waits.get(contributor);
        if (w == null || w.size() < minSamples) {
            return -1;
        }
        double[] xs = w.stream().mapToDouble(Long::doubleValue).toArray();
        double median = median(xs);
        double[] dev = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            dev[i] = Math.abs(xs[i] - median);
        }
        double mad = median(dev);
        return Math.max(floorMs, (long) Math.ceil(median + k * mad));
    }

    /**
     * Records how long the round had been open when the contributor's part arrived.
     *
     * @return whether that was past its deadline (judged before this observation joins the window)
     */
    public boolean observe(String contributor, long waitedMs) {
        long deadline = deadlineMs(contributor);
        ArrayDeque<Long> w = waits.computeIfAbsent(contributor, c -> new ArrayDeque<>());
        w.addLast(Math.max(0, waitedMs));
        while (w.size() > window) {
            w.removeFirst();
        }
        return deadline >= 0 && waitedMs > deadline;
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
    }
}
