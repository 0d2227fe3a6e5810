package io.crosstrain.codec;

/**
 * How the payload of a tensor chunk stores its elements. The ordinal is the codec byte on the wire, so constants
 * must only ever be appended.
 */
public enum Codec {
    /** IEEE 754 binary32, little-endian, lossless. */
    FP32(4),
    /** bfloat16 (upper half of a binary32), little-endian, rounded to nearest even; relative error ≤ 2^-8. */
    BF16(2);

    private final int bytesPerElement;

    Codec(int bytesPerElement) {
        this.bytesPerElement = bytesPerElement;
    }

    public int bytesPerElement() {
        return bytesPerElement;
    }

    /** The codec of a wire byte, or null when the byte names none. */
    static Codec ofWire(int b) {
        Codec[] all = values();
        return b >= 0 && b < all.length ? all[b] : null;
    }
}
