package io.crosstrain.training;

import java.nio.charset.StandardCharsets;

/**
 * A small SplitMix64 generator. We carry our own instead of {@code java.util.Random}/{@code SplittableRandom} so the
 * bundled corpus, the initial weights and the batch windows are bit-identical on every JVM and platform (all
 * floating-point work uses {@link StrictMath}).
 */
final class Rng {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private long state;
    private double spareGaussian = Double.NaN;

    Rng(long seed) {
        this.state = seed;
    }

    /** A generator seeded from several values (e.g. seed, step, rank), each mixed in turn. */
    static Rng of(long... parts) {
        long s = 0x5DEECE66DL;
        for (long p : parts) {
            s = mix(s ^ mix(p + GOLDEN));
        }
        return new Rng(s);
    }

    /** Stable 64-bit hash of a string (FNV-1a over its UTF-8 bytes), independent of {@code String.hashCode}. */
    static long hash(String text) {
        long h = 0xCBF29CE484222325L;
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xFF);
            h *= 0x100000001B3L;
        }
        return h;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    long nextLong() {
        state += GOLDEN;
        return mix(state);
    }

    /** Uniform in [0, bound), bound &gt; 0, without modulo bias. */
    int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        // 63-bit draws; reject the incomplete last block of the range that would favour small values
        long u = nextLong() >>> 1;
        long r = u % bound;
        while (u - r + (bound - 1) < 0) {
            u = nextLong() >>> 1;
            r = u % bound;
        }
        return (int) r;
    }

    /** Picks one element uniformly. */
    <T> T pick(T[] options) {
        return options[nextInt(options.length)];
    }

    /** Uniform in [0, 1) with 53 random bits. */
    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    boolean chance(double p) {
        return nextDouble() < p;
    }

    /** Standard normal via Box–Muller on {@link StrictMath}, so results do not depend on the platform. */
    double nextGaussian() {
        if (!Double.isNaN(spareGaussian)) {
            double g = spareGaussian;
            spareGaussian = Double.NaN;
            return g;
        }
        double u1;
        do {
            u1 = nextDouble();
        } while (u1 <= 0.0);
        double u2 = nextDouble();
        double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
        double theta = 2.0 * StrictMath.PI * u2;
        spareGaussian = r * StrictMath.sin(theta);
        return r * StrictMath.cos(theta);
    }
}
