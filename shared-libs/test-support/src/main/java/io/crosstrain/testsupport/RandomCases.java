package io.crosstrain.testsupport;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Property checks without a property-testing library. A property first runs on hand-picked edge cases, then on
 * random inputs, each drawn from its own {@link SplittableRandom} whose seed comes from a fixed base seed, so every
 * build checks exactly the same cases. A failure names the case, its seed and its input; one random case can be
 * replayed alone with {@code -Dcrosstrain.case.seed=<seed>} (together with {@code -Dtest=Class#method}).
 */
public final class RandomCases {

    /** Fixed on purpose: a red build must stay red on the next run. */
    public static final long BASE_SEED = 0x5EED_C0DE_2025_0001L;
    public static final String REPLAY_PROPERTY = "crosstrain.case.seed";

    /** The property itself: throws (an AssertionError, usually) when {@code input} falsifies it. */
    @FunctionalInterface
    public interface Property<T> {
        void check(T input) throws Exception;
    }

    private RandomCases() {
    }

    /**
     * Checks {@code property} on every edge case, then on {@code randomCases} inputs made by {@code generator}.
     *
     * @return how many cases ran
     */
    public static <T> int check(List<T> edgeCases, int randomCases, Function<SplittableRandom, T> generator,
                         Property<T> property) {
        String replay = System.getProperty(REPLAY_PROPERTY);
        if (replay != null && !replay.isBlank()) {
            long seed = Long.parseLong(replay.trim());
            runOne(property, generator.apply(new SplittableRandom(seed)), "replayed case (seed " + seed + ")");
            return 1;
        }
        for (int i = 0; i < edgeCases.size(); i++) {
            runOne(property, edgeCases.get(i), "edge case " + i + " of " + edgeCases.size());
        }
        SplittableRandom seeds = new SplittableRandom(BASE_SEED);
        for (int i = 0; i < randomCases; i++) {
            long seed = seeds.nextLong();
            T input = generator.apply(new SplittableRandom(seed));
            runOne(property, input, "random case " + i + " of " + randomCases + " (seed " + seed
                    + ", replay with -D" + REPLAY_PROPERTY + "=" + seed + ")");
        }
        return edgeCases.size() + randomCases;
    }

    /** A uniformly chosen element. */
    @SafeVarargs
    public static <T> T oneOf(SplittableRandom r, T... choices) {
        return choices[r.nextInt(choices.length)];
    }

    /** An int in {@code [min, max]}, both included. */
    public static int between(SplittableRandom r, int min, int max) {
        return (int) r.nextLong(min, (long) max + 1);
    }

    private static <T> void runOne(Property<T> property, T input, String which) {
        try {
            property.check(input);
        } catch (Exception | AssertionError e) {
            throw new AssertionError("property falsified by " + which + "\n  input: " + input + "\n  cause: " + e,
                    e);
        }
    }
}
