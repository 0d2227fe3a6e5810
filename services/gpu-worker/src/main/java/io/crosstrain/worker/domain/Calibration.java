package io.crosstrain.worker.domain;

import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.training.Corpus;
import io.crosstrain.training.CpuCalibration;

/**
 * How fast one CPU thread of this host trains the reference model (the demo transformer); the scheduler scales it
 * by FLOPs to any model and picks the emulation time scale so the CPU is never the bottleneck.
 */
public record Calibration(double cpuFlopsPerSec, int hostCores) {

    /** Close to the per-device batches of real jobs: tiny batches overstate the per-sample cost. */
    static final int CALIBRATION_BATCH = 16;

    public static Calibration measure() {
        int vocab = Corpus.bundled(io.crosstrain.contracts.DatasetSpec.DEFAULT_CORPUS).vocabSize();
        double flops = CpuCalibration.flopsPerSecond(ModelSpec.demo(), vocab, CALIBRATION_BATCH, 5);
        return new Calibration(flops, Runtime.getRuntime().availableProcessors());
    }
}
