package io.crosstrain.testsupport;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Property checks without a property-testing library. A property first runs on hand-picked edge cases, then on
 * random inputs, each drawn from its own {@link SplittableRandom} whose seed comes from a fixed base seed, so every
 * build checks exactly the same cases. A failure names the case, its seed and its input; one random case can be
 * replayed alone with {@code -Dcrosstrain.case.seed=<seed>} (together with {@code -Dtest=Class#method}).
 *
 * <p>A property that needs more random draws of its own while it runs (a random order of events, noise on a
 * measurement) takes the case's generator as well, see {@link #checkWithRandom}: it then continues the very stream its
 * input was drawn from, so the case's seed alone still replays everything.
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

    /**
     * A property that makes random draws of its own: {@code random} is the generator {@code input} was drawn from,
     * positioned just after the input's draws (for an edge case, a generator of its own with a fixed seed).
     */
    @FunctionalInterface
    public interface RandomProperty<T> {
        void check(T input, SplittableRandom random) throws Exception;
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
        return run(edgeCases, randomCases, generator, (input, random) -> property.check(input), false);
    }

    /**
     * As {@link #check(List, int, Function, Property)}, for a property that draws further random values while it
     * runs (a name of its own rather than an overload, so that a method reference such as {@code list::add} passed
     * to {@code check} stays unambiguous). The random cases' seeds are the same as there, so a case replayed with
     * {@code -Dcrosstrain.case.seed} gets the same input and the same further draws. Edge case {@code i} gets a
     * generator seeded with {@link #edgeSeed(int) edgeSeed(i)}, named in its failure message.
     *
     * @return how many cases ran
     */
    public static <T> int checkWithRandom(List<T> edgeCases, int randomCases,
                                          Function<SplittableRandom, T> generator, RandomProperty<T> property) {
        return run(edgeCases, randomCases, generator, property, true);
    }

    /** The seed of the generator a {@link RandomProperty} gets for edge case {@code index}. */
    public static long edgeSeed(int index) {
        return BASE_SEED ^ (0x9E37_79B9_7F4A_7C15L * (index + 1L));
    }

    private static <T> int run(List<T> edgeCases, int randomCases, Function<SplittableRandom, T> generator,
                               RandomProperty<T> property, boolean namesEdgeSeeds) {
        String replay = System.getProperty(REPLAY_PROPERTY);
        if (replay != null && !replay.isBlank()) {
            long seed = Long.parseLong(replay.trim());
            SplittableRandom random = new SplittableRandom(seed);
            runOne(property, generator.apply(random), random, "replayed case (seed " + seed + ")");
            return 1;
        }
        for (int i = 0; i < edgeCases.size(); i++) {
            long seed = edgeSeed(i);
            runOne(property, edgeCases.get(i), new SplittableRandom(seed), "edge case " + i + " of "
                    + edgeCases.size() + (namesEdgeSeeds ? " (its draws seeded with " + seed + ")" : ""));
        }
        SplittableRandom seeds = new SplittableRandom(BASE_SEED);
        for (int i = 0; i < randomCases; i++) {
            long seed = seeds.nextLong();
            SplittableRandom random = new SplittableRandom(seed);
            T input = generator.apply(random);
            runOne(property, input, random, "random case " + i + " of " + randomCases + " (seed " + seed
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

    private static <T> void runOne(RandomProperty<T> property, T input, SplittableRandom random, String which) {
        try {
            property.check(input, random);
        } catch (Exception | AssertionError e) {
            throw new AssertionError("property falsified by " + which + "\n  input: " + input + "\n  cause: " + e,
                    e);
        }
    }
}
