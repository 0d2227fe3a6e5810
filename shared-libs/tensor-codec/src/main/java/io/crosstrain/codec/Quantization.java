package io.crosstrain.codec;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Payload encodings of every {@link Codec}, free of any framework. A payload here is exactly the payload section of
 * a chunk record (see {@link TensorCodec}): {@link #encode} of a tensor gives the concatenated payloads of its chunks,
 * because chunks of blockwise codecs start on block boundaries.
 *
 * <p>Blockwise codecs: block {@code k} covers elements {@code [64k, 64k+64)} of the run (the last block may be
 * shorter) and is stored as its float32 scale (little-endian) followed by its values. The scale is
 * {@code absmax/127} (INT8) or {@code absmax/7} (INT4) rounded to float (one step down when, near
 * {@code Float.MAX_VALUE}, the top level would otherwise decode to infinity); a value is stored as
 * {@code rint(x/scale)} (ties to even) clamped to ±127 or ±7 and decodes to {@code q·scale}. A block whose absmax is
 * 0 has scale 0 and all values 0.
 *
 * <p>Non-finite values: FP32, BF16 and FP16 carry NaN and ±∞ like IEEE does. INT8 and INT4 cannot (one NaN would
 * poison the scale of its whole block), so encoding one throws {@link IllegalArgumentException} naming the element:
 * a gradient is refused rather than silently corrupted.
 */
public final class Quantization {

    private Quantization() {
    }

    /** What a receiver decodes after {@code values} travel with codec {@code c} (whole chunks or one payload alike). */
    public static float[] roundTrip(Codec c, float[] values) {
        Objects.requireNonNull(values, "values");
        return decode(c, encode(c, values), values.length);
    }

    /** Payload bytes of {@code elements} elements with codec {@code c}, summed over block-aligned chunks. */
    public static long wireBytes(Codec c, long elements) {
        Objects.requireNonNull(c, "codec");
        return c.payloadBytes(elements);
    }

    /** Encodes {@code values} as one payload. */
    public static byte[] encode(Codec c, float[] values) {
        Objects.requireNonNull(c, "codec");
        Objects.requireNonNull(values, "values");
        long size = c.payloadBytes(values.length);
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(values.length + " elements do not fit one payload array");
        }
        byte[] out = new byte[(int) size];
        write(c, values, 0, values.length, 0, out, 0);
        return out;
    }

    /**
     * Decodes a payload of {@code elements} elements.
     *
     * @throws CorruptChunkException when the payload size does not match, or a scale or padding is invalid
     */
    public static float[] decode(Codec c, byte[] payload, int elements) {
        Objects.requireNonNull(c, "codec");
        Objects.requireNonNull(payload, "payload");
        if (elements < 0) {
            throw new IllegalArgumentException("elements must not be negative: " + elements);
        }
        long expected = c.payloadBytes(elements);
        if (payload.length != expected) {
            throw new CorruptChunkException("a " + c + " payload of " + elements + " elements has " + expected
                    + " bytes, not " + payload.length);
        }
        check(c, payload, 0, elements);
        float[] out = new float[elements];
        read(c, payload, 0, elements, out, 0);
        return out;
    }

    // ---------------------------------------------------------------- payload writing and reading

    /**
     * Writes {@code src[from .. from+count)} at {@code out[at ..]}, exactly {@code c.payloadBytes(count)} bytes.
     * {@code firstIndex} is the tensor index of {@code src[from]}, for error messages.
     */
    static void write(Codec c, float[] src, int from, int count, long firstIndex, byte[] out, int at) {
        switch (c) {
            case FP32 -> ByteBuffer.wrap(out, at, count * 4).slice().order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer().put(src, from, count);
            case BF16, FP16 -> {
                boolean bf = c == Codec.BF16;
                int p = at;
                for (int i = from, end = from + count; i < end; i++) {
                    int h = bf ? TensorCodec.toBf16Bits(src[i]) : toFp16Bits(src[i]);
                    out[p++] = (byte) h;
                    out[p++] = (byte) (h >>> 8);
                }
            }
            case INT8, INT4 -> writeBlocks(c, src, from, count, firstIndex, out, at);
        }
    }

    private static void writeBlocks(Codec c, float[] src, int from, int count, long firstIndex, byte[] out, int at) {
        int levels = levels(c);
        int p = at;
        for (int start = 0; start < count; start += Codec.BLOCK) {
            int n = Math.min(Codec.BLOCK, count - start);
            float absmax = 0f;
            for (int i = from + start, end = i + n; i < end; i++) {
                float x = src[i];
                if (!Float.isFinite(x)) {
                    throw new IllegalArgumentException("element " + (firstIndex + i - from) + " is " + x + ": "
                            + c + " cannot carry non-finite values");
                }
                absmax = Math.max(absmax, Math.abs(x));
            }
            float scale = absmax / levels;
            if (Float.isInfinite(scale * levels)) {
                // scale rounded up near Float.MAX_VALUE: the top level would decode to infinity
                scale = Math.nextDown(scale);
            }
            putFloatLe(out, p, scale);
            p += Codec.SCALE_BYTES;
            if (c == Codec.INT8) {
                for (int i = from + start, end = i + n; i < end; i++) {
                    out[p++] = (byte) quantize(src[i], scale, levels);
                }
            } else {
                for (int k = 0; k < n; k += 2) {
                    int lo = quantize(src[from + start + k], scale, levels) & 0xf;
                    int hi = k + 1 < n ? quantize(src[from + start + k + 1], scale, levels) & 0xf : 0;
                    out[p++] = (byte) (lo | hi << 4);
                }
            }
        }
    }

    /** rint(x/scale) clamped to ±levels; 0 for a zero (or underflowed) scale. */
    private static int quantize(float x, float scale, int levels) {
        if (scale == 0f) {
            return 0;
        }
        // a scale rounded to float (or subnormal) can put absmax/scale just past the level: clamp
        int q = (int) Math.rint(x / scale);
        return Math.max(-levels, Math.min(levels, q));
    }

    /** Reads {@code count} elements of a payload at {@code in[at ..]} into {@code dest[destOffset ..]}. */
    static void read(Codec c, byte[] in, int at, int count, float[] dest, int destOffset) {
        switch (c) {
            case FP32 -> ByteBuffer.wrap(in, at, count * 4).slice().order(ByteOrder.LITTLE_ENDIAN)
                    .asFloatBuffer().get(dest, destOffset, count);
            case BF16, FP16 -> {
                boolean bf = c == Codec.BF16;
                int p = at;
                for (int i = 0; i < count; i++, p += 2) {
                    int h = (in[p] & 0xff) | (in[p + 1] & 0xff) << 8;
                    dest[destOffset + i] = bf ? TensorCodec.fromBf16Bits(h) : fromFp16Bits(h);
                }
            }
            case INT8, INT4 -> readBlocks(c, in, at, count, dest, destOffset);
        }
    }

    private static void readBlocks(Codec c, byte[] in, int at, int count, float[] dest, int destOffset) {
        int p = at;
        for (int start = 0; start < count; start += Codec.BLOCK) {
            int n = Math.min(Codec.BLOCK, count - start);
            float scale = getFloatLe(in, p);
            p += Codec.SCALE_BYTES;
            int d = destOffset + start;
            if (c == Codec.INT8) {
                for (int k = 0; k < n; k++) {
                    dest[d + k] = in[p++] * scale;
                }
            } else {
                for (int k = 0; k < n; k += 2) {
                    int b = in[p++];
                    dest[d + k] = ((b << 28) >> 28) * scale; // sign-extend the low nibble
                    if (k + 1 < n) {
                        dest[d + k + 1] = ((b << 24) >> 28) * scale;
                    }
                }
            }
        }
    }

    /**
     * Checks what a CRC cannot: every scale is non-negative and decodes its top level to a finite value, no value
     * lies outside ±levels, and the unused high nibble of an odd INT4 block is 0. Only blockwise codecs have anything
     * to check.
     *
     * @throws CorruptChunkException naming the first offence
     */
    static void check(Codec c, byte[] in, int at, int count) {
        if (!c.blockwise()) {
            return;
        }
        int levels = levels(c);
        int p = at;
        for (int start = 0; start < count; start += Codec.BLOCK) {
            int n = Math.min(Codec.BLOCK, count - start);
            float scale = getFloatLe(in, p);
            if (!(scale >= 0f) || Float.isInfinite(scale * levels)) {
                throw new CorruptChunkException("block " + start / Codec.BLOCK + " has scale " + scale
                        + ", not a non-negative float whose top level is finite");
            }
            p += Codec.SCALE_BYTES;
            int bytes = c == Codec.INT8 ? n : (n + 1) / 2;
            for (int k = 0; k < bytes; k++, p++) {
                int b = in[p];
                boolean bad = c == Codec.INT8 ? b < -levels
                        : ((b << 28) >> 28) < -levels || ((b << 24) >> 28) < -levels
                        || (2 * k + 1 == n && (b & 0xf0) != 0);
                if (bad) {
                    throw new CorruptChunkException(String.format(
                            "block %d holds byte 0x%02x, which %s never writes", start / Codec.BLOCK, b & 0xff, c));
                }
            }
        }
    }

    private static int levels(Codec c) {
        return c == Codec.INT8 ? 127 : 7;
    }

    private static void putFloatLe(byte[] out, int p, float f) {
        int bits = Float.floatToRawIntBits(f);
        out[p] = (byte) bits;
        out[p + 1] = (byte) (bits >>> 8);
        out[p + 2] = (byte) (bits >>> 16);
        out[p + 3] = (byte) (bits >>> 24);
    }

    private static float getFloatLe(byte[] in, int p) {
        return Float.intBitsToFloat((in[p] & 0xff) | (in[p + 1] & 0xff) << 8 | (in[p + 2] & 0xff) << 16
                | (in[p + 3] & 0xff) << 24);
    }

    // ---------------------------------------------------------------- binary16

    private static final int FP16_MAX_FINITE = 0x7bff; // 65504

    /**
     * Rounds a float to IEEE binary16 bits (nearest, ties to even). Finite values that would round to infinity are
     * clamped to ±65504; NaN stays a quiet NaN of the same sign, ±∞ stays ±∞.
     */
    public static int toFp16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs > 0x7f800000) {
            return sign | 0x7e00;
        }
        if (abs == 0x7f800000) {
            return sign | 0x7c00;
        }
        if (abs >= 0x38800000) { // normal binary16 range (≥ 2^-14) or above
            // drop 13 mantissa bits with round-to-nearest-even; a carry moves into the exponent as it should
            int rounded = abs + 0x0fff + ((abs >>> 13) & 1);
            int h = (rounded >>> 13) - ((127 - 15) << 10);
            return sign | Math.min(h, FP16_MAX_FINITE);
        }
        // subnormal binary16 (units of 2^-24); scaling by 2^24 is exact in double, rint rounds ties to even
        return sign | (int) Math.rint((double) Float.intBitsToFloat(abs) * 0x1p24);
    }

    public static float fromFp16Bits(int h) {
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0) {
            float m = mantissa * 0x1p-24f; // exact: at most 10 significant bits
            return sign == 0 ? m : -m;
        }
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | mantissa << 13);
        }
        return Float.intBitsToFloat(sign | (exponent + 127 - 15) << 23 | mantissa << 13);
    }

    /** The value a float takes after an FP16 round trip. */
    public static float roundToFp16(float f) {
        return fromFp16Bits(toFp16Bits(f));
    }
}
