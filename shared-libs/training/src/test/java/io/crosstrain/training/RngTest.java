package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import org.junit.jupiter.api.Test;

class RngTest {

    @Test
    void sameSeedsGiveTheSameStreamAndDifferentSeedsDoNot() {
        Rng a = Rng.of(1, 2, 3);
        Rng b = Rng.of(1, 2, 3);
        Rng c = Rng.of(1, 2, 4);
        long[] sa = new long[8];
        long[] sc = new long[8];
        for (int i = 0; i < 8; i++) {
            sa[i] = a.nextLong();
            assertThat(b.nextLong()).isEqualTo(sa[i]);
            sc[i] = c.nextLong();
        }
        assertThat(sc).isNotEqualTo(sa);
        assertThat(Rng.hash("h0.ln1.gamma")).isNotEqualTo(Rng.hash("h0.ln1.beta"));
    }

    @Test
    void boundedIntsAreInRangeAndRoughlyUniform() {
        Rng rng = new Rng(7);
        int[] counts = new int[7];
        for (int i = 0; i < 70_000; i++) {
            counts[rng.nextInt(7)]++;
        }
        for (int count : counts) {
            assertThat(count).isBetween(9_400, 10_600);
        }
    }

    @Test
    void gaussiansHaveUnitVariance() {
        Rng rng = new Rng(11);
        double sum = 0;
        double squares = 0;
        int n = 50_000;
        for (int i = 0; i < n; i++) {
            double g = rng.nextGaussian();
            sum += g;
            squares += g * g;
        }
        assertThat(sum / n).isCloseTo(0.0, offset(0.02));
        assertThat(squares / n).isCloseTo(1.0, offset(0.03));
    }
}
