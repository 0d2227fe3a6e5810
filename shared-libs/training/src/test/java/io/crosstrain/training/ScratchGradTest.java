package io.crosstrain.training;

import io.crosstrain.contracts.ModelSpec;
import org.junit.jupiter.api.Test;

class ScratchGradTest {
    @Test
    void directional() {
        Corpus corpus = Corpus.bundled("grammar-en");
        ModelSpec spec = new ModelSpec(2, 32, 4, 24, 0);
        try (DeviceTrainer t = new DeviceTrainer(spec, corpus.vocabSize(), 3, 1e-2)) {
            for (int step = 0; step < 30; step++) t.bareStep(DeviceTrainer.sample(corpus.tokens(), 3, step, 0, 8, 24));
            DeviceTrainer.Batch b = DeviceTrainer.sample(corpus.tokens(), 5, 0, 0, 4, 24);
            float[] g = t.forwardBackward(b).gradient();
            for (int i = 0; i < g.length; i++) g[i] /= 4;
            float[] w = t.weights();
            var offs = t.parameterOffsets();
            var names = new java.util.ArrayList<>(offs.keySet());
            for (int p = 0; p < names.size(); p++) {
                int from = offs.get(names.get(p));
                int to = p + 1 < names.size() ? offs.get(names.get(p + 1)) : g.length;
                double norm2 = 0;
                for (int i = from; i < to; i++) norm2 += (double) g[i] * g[i];
                double eps = 1e-2 / Math.sqrt(norm2 + 1e-30);
                float[] wp = w.clone(), wm = w.clone();
                for (int i = from; i < to; i++) { wp[i] += eps * g[i]; wm[i] -= eps * g[i]; }
                t.loadWeights(wp); double lp = t.evaluate(b);
                t.loadWeights(wm); double lm = t.evaluate(b);
                t.loadWeights(w);
                double numeric = (lp - lm) / (2 * eps);
                System.out.printf("GRAD %-22s analytic %.6f numeric %.6f ratio %.4f%n", names.get(p), norm2, numeric, numeric / norm2);
            }
        }
    }
}
