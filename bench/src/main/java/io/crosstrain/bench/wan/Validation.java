package io.crosstrain.bench.wan;

import java.util.List;

import io.crosstrain.training.DeviceTrainer;
import io.crosstrain.training.StageTrainer.Batch;

/** Mean validation loss over the fixed held-out batches (equal-sized batches, so the plain mean of batch means). */
final class Validation {

    private Validation() {
    }

    static double loss(DeviceTrainer trainer, List<Batch> batches) {
        double sum = 0;
        for (Batch b : batches) {
            sum += trainer.evaluate(b);
        }
        return sum / batches.size();
    }
}
