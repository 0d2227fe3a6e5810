package io.crosstrain.planner.rebalance;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Drift detector of the closed loop (ARCHITECTURE.md §5): told the speed every device is planned at, fed the speed
 * each device measured per step, it says when the plan should be redone and with which speeds.
 *
 * <p>Rules, all under the current plan version only:
 * <ul>
 *   <li>an observation deviates when {@code |measured / planned − 1| > threshold}; it is slower or faster;</li>
 *   <li>a device's streak counts its deviating observations in a row in the same direction; an observation within
 *       the threshold resets it, one deviating the other way starts a new streak;</li>
 *   <li>when a streak reaches {@code consecutive} the detector fires once and then stays quiet until
 *       {@link #plan} is called with a newer version (no flapping while the new plan is being made);</li>
 *   <li>each device reports steps in increasing order: an observation of a step not after the last one counted for
 *       that device (a duplicate, or one arriving late) is ignored, so a redelivered metric counts once;</li>
 *   <li>observations of another plan version, before any plan, or of a device not in the plan are ignored.</li>
 * </ul>
 *
 * <p>Estimates: the device that fired gets the median of the observations of its streak (at most {@code window}
 * of them — samples from before the change would drag the median back to the old speed). Every other device gets
 * the median of its last {@code window} observations under this version if that median deviates by more than the
 * threshold (it is drifting too but has not fired yet), else its planned speed: a single noisy step does not move
 * a device's estimate.
 *
 * <p>Thread-safe (every method is synchronized); observations of several devices may arrive from several threads.
 */
public final class Rebalancer {

    public static final double DEFAULT_THRESHOLD = 0.05;
    public static final int DEFAULT_CONSECUTIVE = 3;
    public static final int DEFAULT_WINDOW = 5;

    private final double threshold;
    private final int consecutive;
    private final int window;

    private boolean hasPlan;
    private long planVersion;
    private boolean fired;
    /** In the plan's order, so decisions list devices as the plan did. */
    private final Map<String, Track> tracks = new LinkedHashMap<>();

    /** Per device, under the current plan version. */
    private static final class Track {
        final double planned;
        boolean seen;
        long lastStep;
        int direction;
        int streak;
        /** The last {@code window} observations, newest last. */
        final ArrayDeque<Double> recent = new ArrayDeque<>();

        Track(double planned) {
            this.planned = planned;
        }
    }

    /** With the defaults: 5 %, 3 steps, a window of 5. */
    public Rebalancer() {
        this(DEFAULT_THRESHOLD, DEFAULT_CONSECUTIVE, DEFAULT_WINDOW);
    }

    /**
     * @param threshold   relative deviation that counts, in (0, 1), e.g. 0.05
     * @param consecutive deviating steps in a row before the detector fires, ≥ 1
     * @param window      observations the median estimate looks at, ≥ 1
     */
    public Rebalancer(double threshold, int consecutive, int window) {
        if (!(threshold > 0 && threshold < 1)) {
            throw new IllegalArgumentException("threshold must be in (0, 1), got " + threshold);
        }
        if (consecutive < 1) {
            throw new IllegalArgumentException("consecutive must be at least 1, got " + consecutive);
        }
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1, got " + window);
        }
        this.threshold = threshold;
        this.consecutive = consecutive;
        this.window = window;
    }

    /**
     * Starts watching a new plan: forgets every observation and streak of the previous one and re-arms the
     * detector.
     *
     * @param plannedSpeeds deviceId → samples/s the plan assumes (chip terms), at least one device
     * @throws IllegalArgumentException when the version is not newer than the current one or a speed is not
     *                                  positive and finite
     */
    public synchronized void plan(long planVersion, Map<String, Double> plannedSpeeds) {
        Objects.requireNonNull(plannedSpeeds, "plannedSpeeds");
        if (hasPlan && planVersion <= this.planVersion) {
            throw new IllegalArgumentException("plan version " + planVersion + " is not newer than the current "
                    + this.planVersion);
        }
        if (plannedSpeeds.isEmpty()) {
            throw new IllegalArgumentException("plan " + planVersion + " has no devices");
        }
        Map<String, Track> fresh = new LinkedHashMap<>();
        for (Map.Entry<String, Double> e : plannedSpeeds.entrySet()) {
            Objects.requireNonNull(e.getKey(), "deviceId");
            Double s = e.getValue();
            if (s == null || !(s > 0) || s.isInfinite()) {
                throw new IllegalArgumentException("device " + e.getKey() + " has planned speed " + s
                        + "; it must be positive and finite");
            }
            fresh.put(e.getKey(), new Track(s));
        }
        tracks.clear();
        tracks.putAll(fresh);
        this.planVersion = planVersion;
        hasPlan = true;
        fired = false;
    }

    /**
     * Counts one step of one device.
     *
     * @param samplesPerSec the speed the device measured in this step, in chip terms (the same units as the plan)
     * @return a decision the first time a device has deviated for {@code consecutive} steps in a row under the
     *         current plan, else empty
     * @throws IllegalArgumentException when the speed is not positive and finite
     */
    public synchronized Optional<RebalanceDecision> observe(String deviceId, long planVersion, long step,
                                                            double samplesPerSec) {
        Objects.requireNonNull(deviceId, "deviceId");
        if (!(samplesPerSec > 0) || Double.isInfinite(samplesPerSec)) {
            throw new IllegalArgumentException("device " + deviceId + " step " + step + ": measured speed "
                    + samplesPerSec + " must be positive and finite");
        }
        if (!hasPlan || fired || planVersion != this.planVersion) {
            return Optional.empty();
        }
        Track t = tracks.get(deviceId);
        if (t == null || (t.seen && step <= t.lastStep)) {
            return Optional.empty();
        }
        t.seen = true;
        t.lastStep = step;
        t.recent.addLast(samplesPerSec);
        if (t.recent.size() > window) {
            t.recent.removeFirst();
        }
        int direction = direction(samplesPerSec, t.planned);
        if (direction == 0) {
            t.streak = 0;
        } else if (direction == t.direction) {
            t.streak++;
        } else {
            t.streak = 1;
        }
        t.direction = direction;
        if (t.streak < consecutive) {
            return Optional.empty();
        }
        fired = true;
        return Optional.of(decide(deviceId, step));
    }

    /** The version being watched, empty before the first plan. */
    public synchronized OptionalLong planVersion() {
        return hasPlan ? OptionalLong.of(planVersion) : OptionalLong.empty();
    }

    /** True after a decision, until the next {@link #plan}. */
    public synchronized boolean awaitingPlan() {
        return fired;
    }

    public double threshold() {
        return threshold;
    }

    public int consecutive() {
        return consecutive;
    }

    public int window() {
        return window;
    }

    private RebalanceDecision decide(String firedBy, long step) {
        Map<String, Double> speeds = new LinkedHashMap<>();
        List<RebalanceDecision.Drift> drifts = new ArrayList<>();
        for (Map.Entry<String, Track> e : tracks.entrySet()) {
            Track t = e.getValue();
            RebalanceDecision.Drift drift = null;
            if (e.getKey().equals(firedBy)) {
                int n = Math.min(t.streak, window);
                drift = new RebalanceDecision.Drift(firedBy, t.planned, median(t.recent, n), t.streak, n);
                drifts.add(0, drift);
            } else if (!t.recent.isEmpty()) {
                double m = median(t.recent, t.recent.size());
                if (direction(m, t.planned) != 0) {
                    drift = new RebalanceDecision.Drift(e.getKey(), t.planned, m, t.streak, t.recent.size());
                    drifts.add(drift);
                }
            }
            speeds.put(e.getKey(), drift == null ? t.planned : drift.estimate());
        }
        StringBuilder reason = new StringBuilder();
        for (int i = 0; i < drifts.size(); i++) {
            RebalanceDecision.Drift d = drifts.get(i);
            reason.append(i == 0 ? "" : "; ").append(String.format(Locale.ROOT,
                    "device %s measured %.2f× its planned %.1f samples/s", d.deviceId(), d.ratio(), d.planned()));
            reason.append(i == 0
                    ? " for " + d.streak() + (d.streak() == 1 ? " step" : " steps")
                    : " (median of its last " + d.samples() + (d.samples() == 1 ? " step)" : " steps)"));
        }
        return new RebalanceDecision(planVersion, step, speeds, drifts, reason.toString());
    }

    /** −1 slower than planned beyond the threshold, +1 faster, 0 within it. */
    private int direction(double measured, double planned) {
        double ratio = measured / planned;
        return ratio > 1 + threshold ? 1 : ratio < 1 - threshold ? -1 : 0;
    }

    /** Median of the newest {@code n} values (the mean of the middle two when n is even). */
    private static double median(ArrayDeque<Double> values, int n) {
        double[] newest = new double[n];
        Iterator<Double> it = values.descendingIterator();
        for (int i = 0; i < n; i++) {
            newest[i] = it.next();
        }
        Arrays.sort(newest);
        return n % 2 == 1 ? newest[n / 2] : (newest[n / 2 - 1] + newest[n / 2]) / 2;
    }
}
