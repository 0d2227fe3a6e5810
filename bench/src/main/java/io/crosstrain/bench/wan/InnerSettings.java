package io.crosstrain.bench.wan;

/** The inner optimizer (DeviceTrainer's AdamW): peak learning rate, decoupled weight decay, linear warm-up steps. */
public record InnerSettings(double lr, double weightDecay, int warmupSteps) {
    public InnerSettings {
        if (!(lr > 0) || !(weightDecay >= 0) || warmupSteps < 0) {
            throw new IllegalArgumentException("need lr > 0, weightDecay >= 0, warmupSteps >= 0");
        }
    }
}
