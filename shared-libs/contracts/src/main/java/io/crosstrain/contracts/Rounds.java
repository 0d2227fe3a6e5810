package io.crosstrain.contracts;

/**
 * Round ids on the gradient topics. An inner step {@code s} is round {@code s}. Under DiLoCo the outer round after
 * inner step {@code s} is {@code OUTER | s}: it sorts after every inner round, so it needs its own ordering
 * wherever rounds are compared, and {@link #step(long)} gives back the step it follows.
 */
public final class Rounds {

    public static final long OUTER = 1L << 40;

    private Rounds() {
    }

    public static long outer(long step) {
        if (step < 1 || step >= OUTER) {
            throw new IllegalArgumentException("step out of range: " + step);
        }
        return OUTER | step;
    }

    public static boolean isOuter(long round) {
        return round >= OUTER;
    }

    /** The inner step a round is, or follows. */
    public static long step(long round) {
        return round & (OUTER - 1);
    }

    public static String describe(long round) {
        return isOuter(round) ? "outer round after step " + step(round) : "round " + round;
    }
}
