package io.crosstrain.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** The harness itself, chiefly {@link RandomCases#checkWithRandom}: properties that take the case's generator. */
class RandomCasesTest {

    /** What one case saw: its input and the property's first own draw. */
    record Seen(long input, long draw) {
    }

    @Test
    void aRandomPropertyContinuesTheStreamItsInputCameFrom() {
        List<Seen> seen = new ArrayList<>();
        int ran = RandomCases.checkWithRandom(List.of(), 50, SplittableRandom::nextLong,
                (input, random) -> seen.add(new Seen(input, random.nextLong())));

        assertThat(ran).isEqualTo(50);
        // the same seeds as the plain check: one per case from the base seed, input first, then the property's draws
        SplittableRandom seeds = new SplittableRandom(RandomCases.BASE_SEED);
        List<Seen> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            SplittableRandom r = new SplittableRandom(seeds.nextLong());
            expected.add(new Seen(r.nextLong(), r.nextLong()));
        }
        assertThat(seen).containsExactlyElementsOf(expected);

        List<Long> plain = new ArrayList<>();
        RandomCases.check(List.of(), 50, SplittableRandom::nextLong, plain::add);
        assertThat(plain).containsExactlyElementsOf(expected.stream().map(Seen::input).toList());
    }

    @Test
    void edgeCasesComeFirstEachWithAFixedGeneratorOfItsOwn() {
        List<Seen> first = new ArrayList<>();
        List<Seen> second = new ArrayList<>();
        for (List<Seen> run : List.of(first, second)) {
            int ran = RandomCases.checkWithRandom(List.of(-1L, -2L, -3L), 4, r -> (long) r.nextInt(1000),
                    (input, random) -> run.add(new Seen(input, random.nextLong())));
            assertThat(ran).isEqualTo(7);
        }
        assertThat(first).hasSize(7).isEqualTo(second);
        assertThat(first.subList(0, 3)).extracting(Seen::input).containsExactly(-1L, -2L, -3L);
        for (int i = 0; i < 3; i++) {
            assertThat(first.get(i).draw()).isEqualTo(new SplittableRandom(RandomCases.edgeSeed(i)).nextLong());
        }
        assertThat(first.subList(0, 3)).extracting(Seen::draw).doesNotHaveDuplicates();
        assertThat(first.subList(3, 7)).extracting(Seen::input).allMatch(x -> x >= 0 && x < 1000);
    }

    @Test
    void aFailureNamesTheSeedAndThatSeedReplaysTheSameInputAndDraws() {
        List<Seen> seen = new ArrayList<>();
        RandomCases.RandomProperty<Long> property = (input, random) -> {
            long draw = random.nextLong();
            seen.add(new Seen(input, draw));
            if (Math.floorMod(input + draw, 7) == 0) {
                throw new IllegalStateException("divisible by 7");
            }
        };

        AssertionError e = catchThrowableOfType(AssertionError.class,
                () -> RandomCases.checkWithRandom(List.of(), 1000, SplittableRandom::nextLong, property));

        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("random case " + (seen.size() - 1) + " of 1000")
                .contains("replay with -D" + RandomCases.REPLAY_PROPERTY + "=")
                .contains("input: " + seen.get(seen.size() - 1).input()).contains("divisible by 7");
        String seed = e.getMessage().replaceAll("(?s).*\\(seed (-?\\d+),.*", "$1");
        Seen failing = seen.get(seen.size() - 1);

        seen.clear();
        String before = System.getProperty(RandomCases.REPLAY_PROPERTY);
        System.setProperty(RandomCases.REPLAY_PROPERTY, seed);
        try {
            AssertionError replayed = catchThrowableOfType(AssertionError.class,
                    () -> RandomCases.checkWithRandom(List.of(0L), 1000, SplittableRandom::nextLong, property));
            assertThat(replayed).isNotNull();
            assertThat(replayed.getMessage()).contains("replayed case (seed " + seed + ")");
        } finally {
            if (before == null) {
                System.clearProperty(RandomCases.REPLAY_PROPERTY);
            } else {
                System.setProperty(RandomCases.REPLAY_PROPERTY, before);
            }
        }
        assertThat(seen).containsExactly(failing);
    }

    @Test
    void aFailingEdgeCaseNamesTheSeedOfItsDraws() {
        AssertionError e = catchThrowableOfType(AssertionError.class,
                () -> RandomCases.checkWithRandom(List.of("fine", "bad"), 10, r -> "fine", (input, random) -> {
                    if (input.equals("bad")) {
                        throw new AssertionError("bad input");
                    }
                }));

        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("edge case 1 of 2 (its draws seeded with " + RandomCases.edgeSeed(1) + ")")
                .contains("input: bad").contains("bad input");
    }
}
