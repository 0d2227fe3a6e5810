package io.crosstrain.training;

import io.crosstrain.contracts.ModelSpec;
import org.junit.jupiter.api.Test;

class ScratchLrTest {
    @Test
    void curves() {
        Corpus corpus = Corpus.bundled("grammar-en");
        ModelSpec demo = ModelSpec.demo();
        double[] ref = null;
        String refHash = null;
        long t0 = System.nanoTime();
        for (int mode = 0; mode < 8; mode++) {
            double[] losses = new double[60];
            String hash0;
            try (DeviceTrainer t = new DeviceTrainer(demo, corpus.vocabSize(), 17, 5e-3)) {
                hash0 = t.weightsHash();
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
            if (ref == null) { ref = losses; refHash = hash0; }
            int dev = -1;
            for (int i = 0; i < 60; i++) if (Double.compare(losses[i], ref[i]) != 0) { dev = i; break; }
            System.out.printf("mode %d t=%.1fs initHashOk %s firstDeviation %d %s%n", mode, (System.nanoTime() - t0) / 1e9,
                hash0.equals(refHash), dev, dev >= 0 ? (losses[dev] + " vs " + ref[dev]) : "");
        }
    }
}
