package io.crosstrain.training;

import io.crosstrain.contracts.ModelSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ScratchLrTest {
    @Test
    void curves() {
        Corpus corpus = Corpus.bundled("grammar-en");
        ModelSpec demo = ModelSpec.demo();
        for (double lr : new double[] {3e-3, 5e-3, 1e-2}) {
            double[] losses = new double[60];
            long t0 = System.nanoTime();
            try (DeviceTrainer t = new DeviceTrainer(demo, corpus.vocabSize(), 17, lr)) {
                for (int step = 0; step < 60; step++) {
                    losses[step] = t.bareStep(DeviceTrainer.sample(corpus.tokens(), 17, step, 0, 16, 64));
                }
            }
            System.out.printf("lr %.0e first5 %.3f last10 %.3f time %.1fs curve %s%n", lr,
                    Arrays.stream(losses, 0, 5).average().getAsDouble(), Arrays.stream(losses, 50, 60).average().getAsDouble(),
                    (System.nanoTime() - t0) / 1e9, Arrays.toString(Arrays.stream(losses).map(x -> Math.round(x * 100) / 100.0).toArray()));
        }
    }
}
