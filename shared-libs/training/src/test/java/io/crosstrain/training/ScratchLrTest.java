package io.crosstrain.training;

import io.crosstrain.contracts.ModelSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ScratchLrTest {
    @Test
    void curves() {
        Corpus corpus = Corpus.bundled("grammar-en");
        ModelSpec demo = ModelSpec.demo();
        DeviceTrainer.Batch[] evalBatches = new DeviceTrainer.Batch[4];
        for (int i = 0; i < 4; i++) evalBatches[i] = DeviceTrainer.sample(corpus.tokens(), 999, i, 7, 16, 64);
        String[][] configs = {{"1", "0.999", "3e-3"}, {"1", "0.99", "3e-3"}, {"10", "0.99", "3e-3"}, {"10", "0.99", "6e-3"}, {"1", "0.99", "6e-3"}, {"10", "0.999", "6e-3"}};
        for (String[] c : configs) {
            System.setProperty("scratch.warmup", c[0]);
            System.setProperty("scratch.beta2", c[1]);
            double lr = Double.parseDouble(c[2]);
            StringBuilder sb = new StringBuilder();
            double minMargin = 9, minDrop = 9, maxSpike = 0;
            for (long seed = 1; seed <= 5; seed++) {
                double[] losses = new double[60];
                double e0 = 0, e1 = 0;
                try (DeviceTrainer t = new DeviceTrainer(demo, corpus.vocabSize(), seed, lr)) {
                    for (var b : evalBatches) e0 += t.evaluate(b) / 4;
                    for (int step = 0; step < 60; step++) losses[step] = t.bareStep(DeviceTrainer.sample(corpus.tokens(), seed, step, 0, 16, 64));
                    for (var b : evalBatches) e1 += t.evaluate(b) / 4;
                }
                double f = Arrays.stream(losses, 0, 5).average().getAsDouble();
                double l = Arrays.stream(losses, 50, 60).average().getAsDouble();
                minMargin = Math.min(minMargin, f - 0.5 - l);
                minDrop = Math.min(minDrop, e0 - e1);
                maxSpike = Math.max(maxSpike, Arrays.stream(losses, 5, 60).max().getAsDouble());
                sb.append(String.format(" [m %.2f e %.2f->%.2f]", f - 0.5 - l, e0, e1));
            }
            System.out.printf("CFG warm %s beta2 %s lr %s minMargin %.3f minEvalDrop %.3f maxSpike %.2f %s%n", c[0], c[1], c[2], minMargin, minDrop, maxSpike, sb);
        }
    }
}
