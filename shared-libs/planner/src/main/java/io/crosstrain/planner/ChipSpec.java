package io.crosstrain.planner;

import java.util.Objects;

/**
 * Public figures of one accelerator model.
 *
 * @param name             catalogue name, e.g. {@code A100-80G}
 * @param tflops           dense BF16/FP16 tensor throughput without structured sparsity, in TFLOPS (10^12 FLOP/s)
 * @param memoryGb         device memory in GB as the vendor states it (10^9 bytes)
 * @param memBandwidthTBps device memory bandwidth in TB/s (10^12 bytes/s)
 * @param unverified       true when at least one figure could not be matched to a vendor document
 * @param source           where the figures come from (document title, URL where known, caveats)
 */
public record ChipSpec(String name, double tflops, double memoryGb, double memBandwidthTBps, boolean unverified,
                       String source) {

    public ChipSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        if (name.isBlank()) {
            throw new IllegalArgumentException("chip name must not be blank");
        }
        requirePositive(name, "tflops", tflops);
        requirePositive(name, "memoryGb", memoryGb);
        requirePositive(name, "memBandwidthTBps", memBandwidthTBps);
    }

    /** Peak dense tensor throughput in FLOP/s. */
    public double peakFlops() {
        return tflops * 1e12;
    }

    /** Device memory in bytes. */
    public double memoryBytes() {
        return memoryGb * 1e9;
    }

    /** Memory bandwidth in bytes/s. */
    public double memBandwidthBytesPerSec() {
        return memBandwidthTBps * 1e12;
    }

    private static void requirePositive(String chip, String field, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(chip + ": " + field + " must be positive and finite, got " + value);
        }
    }
}
