package io.crosstrain.planner;

import java.util.Objects;

/** Roofline speed prior and memory cap of a model on a chip (ARCHITECTURE.md §5). */
public final class CostModel {

    /**
     * Fraction of peak tensor throughput a well-tuned training job actually sustains (model FLOPs utilisation).
     * Published large-model runs land around 0.35–0.55 (e.g. PaLM reports 46 % MFU, Megatron-LM 40–50 % on A100s,
     * smaller or less tuned jobs lower); 0.4 sits in that band. Because it scales every chip alike it does not change
     * relative speeds of compute-bound devices; it only moves the compute/memory crossover. It is a prior: measured
     * speeds replace it.
     */
    public static final double REFERENCE_UTILISATION = 0.4;

    /**
     * Share of device memory the planner lets a job fill: the rest is left to the runtime context, collective
     * buffers, workspace and allocator fragmentation.
     */
    public static final double USABLE_MEMORY_FRACTION = 0.9;

    /** Upper bound of {@link #memoryCap}, so tiny models do not produce absurd micro-batches or int overflow. */
    public static final int MAX_MICRO_BATCH = 1_000_000;

    private CostModel() {
    }

    /**
     * {@code s = 1 / max(F / (peak · u), B / memBW)} samples/s: the slower of the compute time at the reference
     * utilisation and the memory-traffic time.
     */
    public static double rooflineSamplesPerSec(ChipSpec chip, ModelProfile m) {
        Objects.requireNonNull(chip, "chip");
        Objects.requireNonNull(m, "m");
        double computeSeconds = m.flopsPerSample() / (chip.peakFlops() * REFERENCE_UTILISATION);
        double memorySeconds = m.bytesPerSample() / chip.memBandwidthBytesPerSec();
        return 1.0 / Math.max(computeSeconds, memorySeconds);
    }

    /**
     * Largest micro-batch whose activations fit next to the fixed state:
     * {@code floor((USABLE_MEMORY_FRACTION · memory − fixed) / activationsPerSample)}, 0 when not even the fixed
     * state (or it plus one sample) fits, at most {@link #MAX_MICRO_BATCH}.
     */
    public static int memoryCap(ChipSpec chip, ModelProfile m) {
        Objects.requireNonNull(chip, "chip");
        Objects.requireNonNull(m, "m");
        double free = chip.memoryBytes() * USABLE_MEMORY_FRACTION - m.fixedMemoryBytes();
        if (free <= 0) {
            return 0;
        }
        if (m.activationBytesPerSample() <= 0) {
            return MAX_MICRO_BATCH;
        }
        double fit = Math.floor(free / m.activationBytesPerSample());
        return fit >= MAX_MICRO_BATCH ? MAX_MICRO_BATCH : (int) fit;
    }
}
