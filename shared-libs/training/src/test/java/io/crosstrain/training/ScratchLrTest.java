package io.crosstrain.training;

import io.crosstrain.contracts.ModelSpec;
import org.junit.jupiter.api.Test;

class ScratchLrTest {
    @Test
    void curves() {
        Corpus corpus = Corpus.bundled("grammar-en");
        ModelSpec demo = ModelSpec.demo();
        int nan = 0;
        long t0 = System.nanoTime();
        for (int mode = 0; mode < 8; mode++) {
            double[] losses = new double[60];
            try (DeviceTrainer t = new DeviceTrainer(demo, corpus.vocabSize(), 17, 5e-3)) {
                float[] g = new float[t.parameterCount()];
                for (int step = 0; step < 60; step++) {
                    DeviceTrainer.Batch b = DeviceTrainer.sample(corpus.tokens(), 17, step, 0, 16, 64);
                    if (mode % 2 == 1) {
                        losses[step] = t.forwardBackwardInto(b, g);
                        for (int i = 0; i < g.length; i++) g[i] /= 16;
                        t.applyUpdate(g);
                    } else {
                        losses[step] = t.bareStep(b);
                    }
                }
            }
            int firstNan = -1;
            for (int i = 0; i < 60; i++) if (Double.isNaN(losses[i])) { firstNan = i; break; }
            if (firstNan >= 0) nan++;
            System.out.printf("mode %d firstNaN %d last %.4f%n", mode, firstNan, losses[59]);
        }
        System.out.printf("NAN-TRAINERS %d time %.1fs%n", nan, (System.nanoTime() - t0) / 1e9);
    }
}
