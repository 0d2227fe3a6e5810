package io.crosstrain.training;

import io.crosstrain.contracts.ModelSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ScratchLrTest {
    @Test
    void curves() {
        Corpus corpus = Corpus.bundled("grammar-en");
        ModelSpec demo = ModelSpec.demo();
        for (int rep = 0; rep < 4; rep++) {
            double lr = 5e-3;
            double[] losses = new double[40];
            try (DeviceTrainer t = new DeviceTrainer(demo, corpus.vocabSize(), 17, lr)) {
                for (int step = 0; step < 40; step++) {
                    DeviceTrainer.Batch b = DeviceTrainer.sample(corpus.tokens(), 17, step, 0, 16, 64);
                    losses[step] = t.bareStep(b);
                    if (rep % 2 == 1) { byte[][] junk = new byte[200][]; for (int i = 0; i < 200; i++) junk[i] = new byte[100000]; System.gc(); }
                }
            }
            System.out.printf("rep %d curve %s%n", rep, Arrays.toString(Arrays.stream(losses).map(x -> Math.round(x * 10000) / 10000.0).toArray()));
        }
    }
}
