package io.crosstrain.contracts;

import java.util.Locale;
import java.util.Set;

/**
 * How datacenters synchronise under DiLoCo (ARCHITECTURE.md §4); ignored by sync DP. Every field may be null and
 * then takes its default, so specs and plans written before this record existed still read.
 *
 * @param h             inner steps between outer rounds
 * @param codec         encoding of the pseudo-gradients on the WAN: fp32, bf16, fp16, int8 or int4 (blockwise, with
 *                      error feedback)
 * @param outerLr       outer SGD learning rate
 * @param outerMomentum outer Nesterov momentum
 */
public record SyncSpec(Integer h, String codec, Double outerLr, Double outerMomentum) {

    public static final int DEFAULT_H = 50;
    public static final String DEFAULT_CODEC = "int8";
    /** DiLoCo's published outer settings (Douillard et al. 2023, arXiv:2311.08105). */
    public static final double DEFAULT_OUTER_LR = 0.7;
    public static final double DEFAULT_OUTER_MOMENTUM = 0.9;
    public static final Set<String> CODECS = Set.of("fp32", "bf16", "fp16", "int8", "int4");

    /**
     * Bytes per value each codec puts on the WAN: fp32 4, bf16 and fp16 2; the blockwise int8 and int4 add one fp32
     * scale per 64 values (tensor-codec's {@code Codec}): 1 + 4/64 and 0.5 + 4/64.
     */
    public static double bytesPerValue(String codec) {
        return switch (codec == null ? DEFAULT_CODEC : codec.toLowerCase(Locale.ROOT)) {
            case "fp32" -> 4.0;
            case "bf16", "fp16" -> 2.0;
            case "int8" -> 1.0625;
            case "int4" -> 0.5625;
            default -> throw new IllegalArgumentException("unknown codec '" + codec + "'; known: " + CODECS);
        };
    }

    public static SyncSpec defaults() {
        return new SyncSpec(DEFAULT_H, DEFAULT_CODEC, DEFAULT_OUTER_LR, DEFAULT_OUTER_MOMENTUM);
    }

    public int hOrDefault() {
        return h == null ? DEFAULT_H : h;
    }

    public String codecOrDefault() {
        return codec == null || codec.isBlank() ? DEFAULT_CODEC : codec.toLowerCase(Locale.ROOT);
    }

    public double outerLrOrDefault() {
        return outerLr == null ? DEFAULT_OUTER_LR : outerLr;
    }

    public double outerMomentumOrDefault() {
        return outerMomentum == null ? DEFAULT_OUTER_MOMENTUM : outerMomentum;
    }

    /** Every default filled in. */
    public SyncSpec resolved() {
        return new SyncSpec(hOrDefault(), codecOrDefault(), outerLrOrDefault(), outerMomentumOrDefault());
    }
}
