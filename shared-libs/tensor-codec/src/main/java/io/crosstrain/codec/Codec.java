package io.crosstrain.codec;

/**
 * How the payload of a tensor chunk stores its elements. The ordinal is the codec byte on the wire, so constants
 * must only ever be appended. Payload layouts are in {@link TensorCodec}'s format table; the arithmetic is in
 * {@link Quantization}.
 */
public enum Codec {
    /** IEEE 754 binary32, little-endian, lossless. */
    FP32(32, false),
    /** bfloat16 (upper half of a binary32), little-endian, rounded to nearest even; relative error ≤ 2^-8. */
    BF16(16, false),
    /**
     * IEEE 754 binary16, little-endian, rounded to nearest even; relative error ≤ 2^-11 in the normal range
     * (|x| ≥ 2^-14). Finite values beyond ±65504 are clamped to ±65504 rather than becoming infinite; NaN and the
     * infinities are kept.
     */
    FP16(16, false),
    /**
     * Blockwise absmax int8: per block of {@link #BLOCK} elements a float32 scale = absmax/127, then each element as
     * the signed byte round(x/scale) in -127..127. Error ≤ absmax/254 per element. Refuses non-finite values.
     */
    INT8(8, true),
    /**
     * Blockwise absmax int4: per block of {@link #BLOCK} elements a float32 scale = absmax/7, then each element as
     * round(x/scale) in -7..7, two's-complement nibbles, two per byte, low nibble first. Error ≤ absmax/14 per
     * element. Refuses non-finite values.
     */
    INT4(4, true);

    /** Elements per scale of the blockwise codecs. */
    public static final int BLOCK = 64;
    /** Bytes of one block scale (a float32). */
    public static final int SCALE_BYTES = 4;

    private final int bitsPerValue;
    private final boolean blockwise;

    Codec(int bitsPerValue, boolean blockwise) {
        this.bitsPerValue = bitsPerValue;
        this.blockwise = blockwise;
    }

    /** Bits one element's value takes in the payload, scales not counted. */
    public int bitsPerValue() {
        return bitsPerValue;
    }

    /** Whether the payload carries a scale per {@link #BLOCK} elements. */
    public boolean blockwise() {
        return blockwise;
    }

    /**
     * Exact payload bytes of {@code elements} elements encoded as one run (one chunk, or a whole tensor split into
     * block-aligned chunks): values plus, for blockwise codecs, one scale per block, a partial last block included.
     */
    public long payloadBytes(long elements) {
        if (elements < 0) {
            throw new IllegalArgumentException("elements must not be negative: " + elements);
        }
        long values = (elements * bitsPerValue + 7) / 8;
        return blockwise ? values + blocks(elements) * SCALE_BYTES : values;
    }

    /** Blocks (scales) a run of {@code elements} elements has; 0 for codecs without scales. */
    public long blocks(long elements) {
        return blockwise ? (elements + BLOCK - 1) / BLOCK : 0;
    }

    /** The codec of a wire byte, or null when the byte names none. */
    static Codec ofWire(int b) {
        Codec[] all = values();
        return b >= 0 && b < all.length ? all[b] : null;
    }
}
