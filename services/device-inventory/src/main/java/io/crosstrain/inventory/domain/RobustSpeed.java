package io.crosstrain.inventory.domain;

import java.util.Arrays;

/**
 * The speed a throughput profile reports: the median of the newest {@link #WINDOW} samples after dropping outliers
 * by the MAD rule. A step that stalled on a noisy neighbour or a GC pause must not drag the planner's figure.
 */
public final class RobustSpeed {

    /** Newest samples an estimate looks at; older ones describe a device that may have changed since. */
    public static final int WINDOW = 50;
    /** Scales the MAD to the standard deviation of a normal distribution. */
    static final double MAD_TO_SIGMA = 1.4826;
    /** Samples further than this many (MAD-estimated) standard deviations from the median are dropped. */
    static final double CUTOFF_SIGMAS = 3.0;

    private RobustSpeed() {
    }

    /**
     * @param samples at least one finite value
     * @return the median of the samples within {@code 3 × 1.4826 × MAD} of the median; when MAD is 0 (more than half
     *         the samples are identical) only the samples equal to the median are kept, i.e. the median itself
     */
    public static double estimate(double[] samples) {
        if (samples == null || samples.length == 0) {
            throw new IllegalArgumentException("need at least one sample");
        }
        for (double s : samples) {
            if (!Double.isFinite(s)) {
                throw new IllegalArgumentException("samples must be finite, got " + s);
            }
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        double median = median(sorted);
        double[] deviations = new double[sorted.length];
        for (int i = 0; i < sorted.length; i++) {
            deviations[i] = Math.abs(sorted[i] - median);
        }
        Arrays.sort(deviations);
        double mad = median(deviations);
        if (mad == 0) {
            return median;
        }
        double limit = CUTOFF_SIGMAS * MAD_TO_SIGMA * mad;
        double[] kept = Arrays.stream(sorted).filter(x -> Math.abs(x - median) <= limit).toArray();
        // never empty: at least half of the deviations are <= mad < limit
        return median(kept);
    }

    /** Median of an ascending array. */
    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }
}
