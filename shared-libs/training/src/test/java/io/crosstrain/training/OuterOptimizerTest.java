package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class OuterOptimizerTest {

    @Test
    void plainAveragingWithLrOneAndNoMomentumLandsOnTheAverageReplica() {
        float[] start = {1f, 2f, -3f};
        OuterOptimizer outer = new OuterOptimizer(start, 1.0, 0.0);
        float[] a = {0.5f, 2.5f, -2f};
        float[] b = {1.5f, 1.0f, -5f};
        float[] da = outer.pseudoGradient(a);
        float[] db = outer.pseudoGradient(b);
        float[] avg = new float[3];
        for (int i = 0; i < 3; i++) {
            avg[i] = (da[i] + db[i]) / 2f;
        }
        float[] next = outer.step(avg);
        assertThat(next[0]).isCloseTo(1.0f, within(1e-6f));
        assertThat(next[1]).isCloseTo(1.75f, within(1e-6f));
        assertThat(next[2]).isCloseTo(-3.5f, within(1e-6f));
    }

    @Test
    void nesterovMatchesTheHandComputedRecurrence() {
        OuterOptimizer outer = new OuterOptimizer(new float[] {0f}, 0.7, 0.9);
        // step 1: v = 1, update = 1 + 0.9·1 = 1.9, θ = −1.33
        assertThat(outer.step(new float[] {1f})[0]).isCloseTo(-1.33f, within(1e-6f));
        // step 2: v = 0.9 + 1 = 1.9, update = 1 + 0.9·1.9 = 2.71, θ = −1.33 − 1.897 = −3.227
        assertThat(outer.step(new float[] {1f})[0]).isCloseTo(-3.227f, within(1e-5f));
        assertThat(outer.velocity()[0]).isCloseTo(1.9f, within(1e-6f));
        assertThat(outer.steps()).isEqualTo(2);
    }

    @Test
    void sameInputsGiveTheSameBitsAndRestoreResumesExactly() {
        SplittableRandom r = new SplittableRandom(7);
        float[] start = new float[257];
        for (int i = 0; i < start.length; i++) {
            start[i] = (float) r.nextGaussian();
        }
        OuterOptimizer a = new OuterOptimizer(start, 0.7, 0.9);
        OuterOptimizer b = new OuterOptimizer(start, 0.7, 0.9);
        float[][] deltas = new float[5][start.length];
        for (float[] d : deltas) {
            for (int i = 0; i < d.length; i++) {
                d[i] = (float) (r.nextGaussian() * 0.01);
            }
        }
        for (int k = 0; k < 3; k++) {
            assertThat(a.step(deltas[k])).containsExactly(b.step(deltas[k]));
        }
        OuterOptimizer c = new OuterOptimizer(new float[start.length], 0.7, 0.9);
        c.restore(a.global(), a.velocity(), a.steps());
        for (int k = 3; k < 5; k++) {
            assertThat(c.step(deltas[k])).containsExactly(a.step(deltas[k]));
        }
        assertThat(c.steps()).isEqualTo(5);
    }

    @Test
    void rejectsBadSettingsAndShapes() {
        assertThatThrownBy(() -> new OuterOptimizer(new float[2], 0, 0.9)).hasMessageContaining("lr");
        assertThatThrownBy(() -> new OuterOptimizer(new float[2], 0.7, 1.0)).hasMessageContaining("momentum");
        OuterOptimizer o = new OuterOptimizer(new float[2], 0.7, 0.9);
        assertThatThrownBy(() -> o.step(new float[3])).hasMessageContaining("3 elements");
    }
}
