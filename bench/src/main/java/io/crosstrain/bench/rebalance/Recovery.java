package io.crosstrain.bench.rebalance;

import java.util.Arrays;

/**
 * The figures of a slowdown-and-recovery run, from the measured η of each round.
 *
 * @param etaBefore       mean η of rounds {@code [warmup, slowRound)}
 * @param etaDuring       mean η of rounds {@code [slowRound, appliedRound)}: slowed, still on the old plan
 *                        (all rounds from the slowdown on when no new plan took effect)
 * @param etaAfter        mean η of rounds {@code [appliedRound, end)}; NaN when no new plan took effect
 * @param roundsToRecover rounds from the slowdown to the first round whose η is within {@code tolerance}
 *                        (relative) of etaBefore; -1 when none is
 */
public record Recovery(double etaBefore, double etaDuring, double etaAfter, int roundsToRecover) {

    /**
     * @param appliedRound first round of the new plan, or -1 when none took effect
     * @param tolerance    relative, e.g. 0.02
     */
    public static Recovery of(double[] eta, int warmup, int slowRound, int appliedRound, double tolerance) {
        if (warmup < 0 || warmup >= slowRound || slowRound >= eta.length) {
            throw new IllegalArgumentException("need 0 ≤ warmup < slowRound < rounds, got " + warmup + ", "
                    + slowRound + ", " + eta.length);
        }
        if (appliedRound != -1 && (appliedRound <= slowRound || appliedRound > eta.length)) {
            throw new IllegalArgumentException("the new plan must take effect after the slowdown, got round "
                    + appliedRound);
        }
        double before = mean(eta, warmup, slowRound);
        int switchAt = appliedRound == -1 ? eta.length : appliedRound;
        double during = mean(eta, slowRound, switchAt);
        double after = appliedRound == -1 ? Double.NaN : mean(eta, appliedRound, eta.length);
        int recover = -1;
        for (int r = slowRound; r < eta.length; r++) {
            if (Math.abs(eta[r] - before) <= tolerance * before) {
                recover = r - slowRound;
                break;
            }
        }
        return new Recovery(before, during, after, recover);
    }

    /** Median of {@code values[from, to)}; NaN when empty. Robust to the odd round a busy host stalls. */
    public static double median(double[] values, int from, int to) {
        if (to <= from) {
            return Double.NaN;
        }
        double[] part = Arrays.copyOfRange(values, from, to);
        Arrays.sort(part);
        int n = part.length;
        return n % 2 == 1 ? part[n / 2] : (part[n / 2 - 1] + part[n / 2]) / 2;
    }

    /** Mean of {@code values[from, to)}; NaN when empty. */
    public static double mean(double[] values, int from, int to) {
        if (to <= from) {
            return Double.NaN;
        }
        double sum = 0;
        for (int i = from; i < to; i++) {
            sum += values[i];
        }
        return sum / (to - from);
    }
}
