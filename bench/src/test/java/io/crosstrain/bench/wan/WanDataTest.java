package io.crosstrain.bench.wan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

import io.crosstrain.training.StageTrainer.Batch;
import org.junit.jupiter.api.Test;

class WanDataTest {

    private static final int SEQ = 16;
    private static final int BATCH = 4;

    private static WanData data() {
        return new WanData(1, 60_000, 2, 2, 4, 3, SEQ, BATCH);
    }

    @Test
    void batchesAreDeterministicAndTheSameForEveryReader() {
        WanData a = data();
        WanData b = data();

        assertThat(a.batch(1, 7).inputs()).isEqualTo(b.batch(1, 7).inputs());
        assertThat(a.batch(1, 7).inputs()).isNotEqualTo(a.batch(1, 8).inputs());
        assertThat(a.validation().get(0).inputs()).isEqualTo(b.validation().get(0).inputs());
    }

    @Test
    void everyPassOverAShardReadsEachOfItsWindowsOnceInANewOrder() {
        WanData d = data();
        int n = d.windowsPerShard();
        for (int dc = 0; dc < 3; dc++) {
            for (int pass = 0; pass < 2; pass++) {
                Set<Integer> seen = new HashSet<>();
                for (int k = 0; k < n; k++) {
                    int w = d.window(dc, (long) pass * n + k);
                    assertThat(w).isBetween(dc * n, (dc + 1) * n - 1);
                    seen.add(w);
                }
                assertThat(seen).hasSize(n);
            }
            assertThat(d.window(dc, 0) == d.window(dc, n) && d.window(dc, 1) == d.window(dc, n + 1)
                    && d.window(dc, 2) == d.window(dc, n + 2)).isFalse();
        }
    }

    @Test
    void targetsAreTheInputsShiftedByOne() {
        Batch b = data().batch(0, 3);
        for (int i = 0; i < BATCH; i++) {
            for (int t = 0; t < SEQ - 1; t++) {
                assertThat(b.targets()[i * SEQ + t]).isEqualTo(b.inputs()[i * SEQ + t + 1]);
            }
        }
    }
}
