package io.crosstrain.codec;

import static io.crosstrain.testsupport.RandomCases.between;
import static io.crosstrain.testsupport.RandomCases.oneOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.offset;

import io.crosstrain.testsupport.RandomCases;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Error bounds, sizes and chunked round trips of every codec, on edge cases plus seeded random cases. */
class QuantizationProperties {

    private static final int B = Codec.BLOCK;

    /** Gradient-like values: each block has its own magnitude; some blocks are zero, sparse, subnormal or flat. */
    static float[] finiteValues(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int start = 0; start < n; start += B) {
            int end = Math.min(n, start + B);
            double magnitude = Math.pow(10, r.nextDouble(-8, 4));
            int shape = r.nextInt(10);
            for (int i = start; i < end; i++) {
                v[i] = switch (shape) {
                    case 0 -> 0f;
                    case 1 -> i == start ? (float) magnitude : 0f; // one outlier, the rest zeros
                    case 2 -> Float.MIN_VALUE * between(r, -300, 300); // subnormal
                    case 3 -> r.nextBoolean() ? (float) magnitude : (float) -magnitude;
                    default -> (float) (r.nextGaussian() * magnitude);
                };
            }
        }
        return v;
    }

    // ---------------------------------------------------------------- per-element error bounds

    /** One block (or a few) of values for a quantizer. */
    record Values(String shape, float[] values) {
        @Override
        public String toString() {
            return shape + " " + Arrays.toString(values);
        }
    }

    private static List<Values> blockEdges() {
        List<Values> edges = new ArrayList<>();
        edges.add(new Values("empty", new float[0]));
        edges.add(new Values("one", new float[] {0.3f}));
        edges.add(new Values("zeros", new float[B]));
        edges.add(new Values("negative zeros", filled(B, -0f)));
        edges.add(new Values("ties", new float[] {127f, 0.5f, 1.5f, -0.5f, -2.5f, 63.5f, -126.5f}));
        edges.add(new Values("int4 ties", new float[] {7f, 0.5f, 1.5f, -0.5f, -2.5f, 3.5f, -6.5f}));
        edges.add(new Values("max", new float[] {Float.MAX_VALUE, -Float.MAX_VALUE, 1f, Float.MAX_VALUE / 3}));
        edges.add(new Values("smallest", new float[] {Float.MIN_VALUE, -Float.MIN_VALUE, 0f}));
        edges.add(new Values("subnormal scale", new float[] {Float.MIN_NORMAL, Float.MIN_VALUE * 1000, 1e-40f}));
        edges.add(new Values("underflowed scale", new float[] {Float.MIN_VALUE * 50, -Float.MIN_VALUE}));
        edges.add(new Values("outlier", outlier()));
        edges.add(new Values("two blocks", finiteValues(2 * B + 1, 1)));
        return edges;
    }

    private static float[] filled(int n, float x) {
        float[] v = new float[n];
        Arrays.fill(v, x);
        return v;
    }

    private static float[] outlier() {
        float[] v = filled(B, 1e-3f);
        v[17] = -1000f;
        return v;
    }

    private static Values randomValues(SplittableRandom r) {
        return new Values("random", finiteValues(between(r, 0, 3 * B), r.nextLong()));
    }

    @Test
    void int8ErrorIsAtMostHalfAStep() {
        blockwiseErrorBound(Codec.INT8, 254);
    }

    @Test
    void int4ErrorIsAtMostHalfAStep() {
        blockwiseErrorBound(Codec.INT4, 14);
    }

    /** |x − q(x)| ≤ absmax/divisor of x's block, plus float rounding of the scale and of q·scale. */
    private static void blockwiseErrorBound(Codec codec, int divisor) {
        int ran = RandomCases.check(blockEdges(), 3000, QuantizationProperties::randomValues, c -> {
            float[] x = c.values();
            float[] y = Quantization.roundTrip(codec, x);
            assertThat(y).hasSize(x.length);
            for (int start = 0; start < x.length; start += B) {
                int end = Math.min(x.length, start + B);
                double absmax = 0;
                for (int i = start; i < end; i++) {
                    absmax = Math.max(absmax, Math.abs(x[i]));
                }
                double bound = absmax / divisor + absmax * 0x1p-20 + 0x1p-140;
                for (int i = start; i < end; i++) {
                    double err = Math.abs((double) x[i] - y[i]);
                    if (!(err <= bound)) {
                        fail("element %d: %s became %s, error %s > %s", i, x[i], y[i], err, bound);
                    }
                }
                if (absmax == 0) {
                    for (int i = start; i < end; i++) {
                        assertThat(y[i]).isEqualTo(0f);
                    }
                }
            }
        });
        assertThat(ran).isPositive();
    }

    @Test
    void blockwiseCodecsKeepTheBlockMaximumAndSign() {
        int ran = RandomCases.check(blockEdges(), 1000, QuantizationProperties::randomValues, c -> {
            for (Codec codec : List.of(Codec.INT8, Codec.INT4)) {
                float[] x = c.values();
                float[] y = Quantization.roundTrip(codec, x);
                for (int i = 0; i < x.length; i++) {
                    // a value never changes sign, and never grows beyond its block's absmax (up to rounding)
                    assertThat(y[i] * x[i]).as("%s element %d", codec, i).isGreaterThanOrEqualTo(0f);
                }
                for (int start = 0; start < x.length; start += B) {
                    int end = Math.min(x.length, start + B);
                    float absmax = 0;
                    float seenMax = 0;
                    for (int i = start; i < end; i++) {
                        absmax = Math.max(absmax, Math.abs(x[i]));
                        seenMax = Math.max(seenMax, Math.abs(y[i]));
                    }
                    if (absmax >= 0x1p-100f) { // scales far from the subnormals
                        assertThat((double) seenMax).as("%s block at %d", codec, start)
                                .isCloseTo(absmax, offset(absmax * 0x1p-20));
                    }
                }
            }
        });
        assertThat(ran).isPositive();
    }

    @Test
    void fp16RelativeErrorIsAtMost2ToTheMinus11InTheNormalRange() {
        List<Float> edges = new ArrayList<>();
        for (float f : new float[] {0x1p-14f, Math.nextDown(0x1p-14f), 65504f, 65519.99f, 65520f, 1e6f,
                Float.MAX_VALUE, 1f, 1f + 0x1p-11f /* tie, to even: 1 */, 1f + 3 * 0x1p-11f /* tie, up */,
                0x1p-24f, 0x1p-25f /* tie with 0 */, 0x1.8p-25f, 0x1p-26f, Float.MIN_VALUE, 0.1f, 3.14159f, 0f}) {
            edges.add(f);
            edges.add(-f);
        }
        int ran = RandomCases.check(edges, 20_000, r -> switch (r.nextInt(3)) {
            case 0 -> (float) (oneOf(r, 1.0, -1.0) * Math.scalb(1.0 + r.nextDouble(), between(r, -30, 17)));
            case 1 -> (float) r.nextGaussian();
            default -> {
                float f;
                do {
                    f = Float.intBitsToFloat(r.nextInt());
                } while (!Float.isFinite(f));
                yield f;
            }
        }, x -> {
            float y = Quantization.roundToFp16(x);
            double ax = Math.abs((double) x);
            if (ax > 65504) {
                assertThat(y).isEqualTo(Math.copySign(65504f, x)); // clamped, never infinite
            } else if (ax >= 0x1p-14) {
                assertThat(Math.abs(y - (double) x)).isLessThanOrEqualTo(ax * 0x1p-11);
            } else {
                assertThat(Math.abs(y - (double) x)).isLessThanOrEqualTo(0x1p-25); // half a subnormal step
            }
            assertThat(Quantization.roundToFp16(y)).isEqualTo(y);
            assertThat(Math.signum(y)).isIn(Math.signum(x), 0f, -0f);
        });
        assertThat(ran).isPositive();
    }

    @Test
    void fp16IsTheNearestRepresentableTiesToEven() {
        int ran = RandomCases.check(List.of(0, 0x3f801000, 0x3f803000, 0x33000000, 0x477fefff, 0x477ff000,
                0x387fe000, 0x387ff000), 20_000, r -> r.nextInt(), bits -> {
            float x = Float.intBitsToFloat(bits);
            if (!Float.isFinite(x) || Math.abs(x) > 65504f) {
                return; // clamping, covered above
            }
            int h = Quantization.toFp16Bits(x);
            double y = Quantization.fromFp16Bits(h);
            double err = Math.abs(x - y);
            // neighbours one unit away on either side (within the finite range) are no closer
            for (int n : new int[] {h - 1, h + 1}) {
                if ((n & 0x7fff) <= 0x7bff && (n & 0x8000) == (h & 0x8000)) {
                    double other = Math.abs(x - (double) Quantization.fromFp16Bits(n));
                    assertThat(err).isLessThanOrEqualTo(other);
                    if (err == other) {
                        assertThat(h & 1).as("tie goes to the even neighbour").isZero();
                    }
                }
            }
        });
        assertThat(ran).isPositive();
    }

    @Test
    void fp16DecodesEveryBitPatternAndReencodesItUnchanged() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Quantization.fromFp16Bits(h);
            int exponent = (h >>> 10) & 0x1f;
            int mantissa = h & 0x3ff;
            double expected = exponent == 0 ? Math.scalb((double) mantissa, -24)
                    : Math.scalb(1024.0 + mantissa, exponent - 25);
            if (exponent == 0x1f) {
                assertThat(mantissa == 0 ? Float.isInfinite(f) : Float.isNaN(f)).as("0x%04x", h).isTrue();
            } else {
                assertThat(Math.abs((double) f)).as("0x%04x", h).isEqualTo(expected);
                assertThat(Quantization.toFp16Bits(f)).as("0x%04x", h).isEqualTo(h);
            }
            assertThat(Float.floatToRawIntBits(f) < 0).as("sign of 0x%04x", h).isEqualTo((h & 0x8000) != 0);
        }
        assertThat(Quantization.roundToFp16(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Quantization.roundToFp16(Float.NEGATIVE_INFINITY)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Float.isNaN(Quantization.roundToFp16(Float.NaN))).isTrue();
        assertThat(Quantization.roundToFp16(65520f)).isEqualTo(65504f);
        assertThat(Quantization.roundToFp16(65519f)).isEqualTo(65504f);
        assertThat(Quantization.roundToFp16(-Float.MAX_VALUE)).isEqualTo(-65504f);
    }

    @Test
    void bf16AndFp32AreUnchangedByTheNewCodecs() {
        int ran = RandomCases.check(List.of(new Values("specials", new float[] {Float.NaN, Float.POSITIVE_INFINITY,
                -0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.intBitsToFloat(0x7fc00001)})), 300, r -> {
            float[] v = new float[between(r, 0, 200)];
            for (int i = 0; i < v.length; i++) {
                v[i] = Float.intBitsToFloat(r.nextInt());
            }
            return new Values("bits", v);
        }, c -> {
            float[] x = c.values();
            float[] bf = Quantization.roundTrip(Codec.BF16, x);
            float[] fp = Quantization.roundTrip(Codec.FP32, x);
            for (int i = 0; i < x.length; i++) {
                assertThat(Float.floatToRawIntBits(bf[i]))
                        .isEqualTo(Float.floatToRawIntBits(TensorCodec.roundToBf16(x[i])));
                assertThat(Float.floatToRawIntBits(fp[i])).isEqualTo(Float.floatToRawIntBits(x[i]));
            }
        });
        assertThat(ran).isPositive();
    }

    // ---------------------------------------------------------------- chunked round trips

    private static final Codec[] ALL = Codec.values();

    /** Lengths at block and chunk boundaries of the codec. */
    static List<Integer> edgeLengths(Codec c) {
        int p = TensorCodec.elementsPerChunk(c, "x");
        return Stream.of(0, 1, 2, B - 1, B, B + 1, 2 * B - 1, 2 * B + 1, p - B, p - 1, p, p + 1, p + B, 2 * p - 1,
                2 * p, 2 * p + 1).distinct().toList();
    }

    record Tensor(ChunkMeta meta, int length, long seed) {
    }

    @Test
    void everyCodecRoundTripsThroughChunksAndTheAssembler() {
        List<Tensor> edges = new ArrayList<>();
        for (Codec c : ALL) {
            for (int length : edgeLengths(c)) {
                String sender = edges.size() % 2 == 0 ? "" : "x".repeat(TensorCodec.MAX_SENDER_BYTES);
                edges.add(new Tensor(new ChunkMeta(new UUID(1, edges.size()), 3, 1, sender, 8, c), length,
                        edges.size()));
            }
        }
        int ran = RandomCases.check(edges, 60, r -> {
            Codec c = oneOf(r, ALL);
            int per = TensorCodec.elementsPerChunk(c, null);
            int length = r.nextBoolean() ? between(r, 0, 5 * B) : between(r, 0, 2 * per + B);
            return new Tensor(TensorCodecProperties.randomMeta(r).withCodec(c), length, r.nextLong());
        }, t -> roundTrip(t.meta(), t.length(), t.seed()));
        assertThat(ran).isPositive();
    }

    private static void roundTrip(ChunkMeta meta, int length, long seed) {
        Codec codec = meta.codec();
        float[] values = finiteValues(length, seed);
        float[] expected = Quantization.roundTrip(codec, values); // the whole tensor as one payload
        List<byte[]> records = TensorCodec.encode(meta, values);
        int per = TensorCodec.elementsPerChunk(codec, meta.sender());
        assertThat(records).hasSize(TensorCodec.chunkCount(codec, meta.sender(), length));

        long payload = 0;
        List<Chunk> chunks = new ArrayList<>();
        List<ChunkView> views = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            byte[] r = records.get(i);
            assertThat(r.length).isLessThanOrEqualTo(TensorCodec.MAX_CHUNK_BYTES);
            Chunk c = TensorCodec.decode(r);
            assertThat(c.meta()).isEqualTo(meta);
            assertThat(c.elementOffset()).isEqualTo((long) i * per);
            assertThat(r.length).isEqualTo(TensorCodec.encodedSize(codec, meta.sender(), c.elementCount()));
            payload += r.length - TensorCodec.encodedSize(codec, meta.sender(), 0);
            chunks.add(c);
            views.add(TensorCodec.view(r));
        }
        assertThat(payload).as("payload bytes of all chunks").isEqualTo(Quantization.wireBytes(codec, length));

        Random shuffle = new Random(seed);
        Collections.shuffle(chunks, shuffle);
        Collections.shuffle(views, shuffle);
        TensorAssembler viaDecode = new TensorAssembler();
        TensorAssembler viaView = new TensorAssembler();
        chunks.forEach(c -> assertThat(viaDecode.accept(c)).isTrue());
        views.forEach(v -> assertThat(viaView.accept(v)).isTrue());
        assertThat(viaDecode.complete()).isTrue();
        assertThat(viaView.complete()).isTrue();
        assertSameBits(viaDecode.values(), expected);
        assertSameBits(viaView.values(), expected);
    }

    static void assertSameBits(float[] actual, float[] expected) {
        assertThat(actual).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(expected[i])) {
                fail("element %d: expected %s, got %s", i, expected[i], actual[i]);
            }
        }
    }

    @Test
    void chunksHoldWholeBlocksAndFillTheRecordWhateverTheSender() {
        for (Codec c : ALL) {
            int per = TensorCodec.elementsPerChunk(c, "a");
            assertThat(TensorCodec.elementsPerChunk(c, "x".repeat(64))).isEqualTo(per)
                    .isEqualTo(TensorCodec.elementsPerChunk(c, null));
            int full = TensorCodec.encodedSize(c, "x".repeat(64), per);
            assertThat(full).as("%s full chunk", c).isLessThanOrEqualTo(TensorCodec.MAX_CHUNK_BYTES);
            int step = c.blockwise() ? B : 1;
            if (c.blockwise()) {
                assertThat(per % B).as("%s chunk in whole blocks", c).isZero();
            }
            // one more block (or element) would not fit
            assertThat(TensorCodec.encodedSize(c, "x".repeat(64), per + step))
                    .isGreaterThan(TensorCodec.MAX_CHUNK_BYTES);
        }
        assertThat(TensorCodec.elementsPerChunk(Codec.FP16, "a"))
                .isEqualTo(TensorCodec.elementsPerChunk(Codec.BF16, "a"));
        assertThatThrownBy(() -> TensorCodec.encodeChunk(new ChunkMeta(UUID.randomUUID(), 0, 0, "", 0, Codec.INT8),
                0, 1, 1_000_000, 0, new float[1_000_000], 0, TensorCodec.elementsPerChunk(Codec.INT8, "") + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---------------------------------------------------------------- sizes

    @Test
    void payloadSizesFollowTheFormula() {
        List<Long> edges = List.of(0L, 1L, 2L, 63L, 64L, 65L, 127L, 128L, 129L, 1L << 20, (1L << 31) - 1);
        int ran = RandomCases.check(edges, 2000, r -> r.nextLong(0, 1L << 40), n -> {
            long blocks = (n + 63) / 64;
            assertThat(Codec.FP32.payloadBytes(n)).isEqualTo(4 * n);
            assertThat(Codec.BF16.payloadBytes(n)).isEqualTo(2 * n);
            assertThat(Codec.FP16.payloadBytes(n)).isEqualTo(2 * n);
            assertThat(Codec.INT8.payloadBytes(n)).isEqualTo(n + 4 * blocks);
            assertThat(Codec.INT4.payloadBytes(n)).isEqualTo((n + 1) / 2 + 4 * blocks);
            for (Codec c : ALL) {
                assertThat(Quantization.wireBytes(c, n)).isEqualTo(c.payloadBytes(n));
                if (n < 5000) {
                    assertThat(Quantization.encode(c, new float[n.intValue()])).hasSize((int) c.payloadBytes(n));
                }
            }
        });
        assertThat(ran).isPositive();
        assertThatThrownBy(() -> Codec.INT8.payloadBytes(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void quantizedRecordsShrinkByTheExpectedFactor() {
        int n = 1_000_000;
        float[] v = finiteValues(n, 42);
        ChunkMeta meta = new ChunkMeta(UUID.randomUUID(), 1, 1, "bj-node-0", 1, Codec.FP32);
        long fp32 = totalBytes(TensorCodec.encode(meta, v));
        long int8 = totalBytes(TensorCodec.encode(meta.withCodec(Codec.INT8), v));
        long int4 = totalBytes(TensorCodec.encode(meta.withCodec(Codec.INT4), v));
        long fp16 = totalBytes(TensorCodec.encode(meta.withCodec(Codec.FP16), v));
        // payload ratios are exactly 1/4 + 1/64 and 1/8 + 1/64 of FP32; headers add a little per chunk
        assertThat((double) int8 / fp32).isBetween(0.25 + 1.0 / 64, 0.25 + 1.0 / 64 + 0.001);
        assertThat((double) int4 / fp32).isBetween(0.125 + 1.0 / 64, 0.125 + 1.0 / 64 + 0.001);
        assertThat((double) fp16 / fp32).isBetween(0.4999, 0.501);
        for (Codec c : ALL) {
            List<byte[]> records = TensorCodec.encode(meta.withCodec(c), v);
            long headers = (long) records.size() * TensorCodec.encodedSize(c, meta.sender(), 0);
            assertThat(totalBytes(records) - headers).as("%s payload", c).isEqualTo(Quantization.wireBytes(c, n));
        }
    }

    private static long totalBytes(List<byte[]> records) {
        return records.stream().mapToLong(r -> r.length).sum();
    }

    // ---------------------------------------------------------------- wire layout and non-finite values

    @Test
    void int8AndInt4PayloadsMatchTheDocumentedLayout() {
        byte[] int8 = Quantization.encode(Codec.INT8, new float[] {1f, -0.5f, 0.25f, 0f});
        float scale = 1f / 127;
        int s = Float.floatToIntBits(scale);
        // scale little-endian, then rint(x/scale): 127, rint(-63.5) = -64 (tie to even), rint(31.75) = 32, 0
        assertThat(int8).containsExactly((byte) s, (byte) (s >>> 8), (byte) (s >>> 16), (byte) (s >>> 24),
                (byte) 127, (byte) -64, (byte) 32, (byte) 0);

        byte[] int4 = Quantization.encode(Codec.INT4, new float[] {7f, -3.5f, 1f, 0f, 2f});
        // scale 1.0f; nibbles 7, -4 (tie to even), 1, 0, 2 (+ zero padding), low nibble first
        assertThat(int4).containsExactly((byte) 0x00, (byte) 0x00, (byte) 0x80, (byte) 0x3f,
                (byte) 0xc7, (byte) 0x01, (byte) 0x02);
        assertThat(Quantization.decode(Codec.INT4, int4, 5)).containsExactly(7f, -4f, 1f, 0f, 2f);

        // the second block has its own scale
        float[] two = new float[B + 1];
        two[0] = 100f;
        two[B] = -0.001f;
        byte[] p = Quantization.encode(Codec.INT8, two);
        assertThat(p).hasSize(4 + B + 4 + 1);
        assertThat(p[4 + B + 4]).isEqualTo((byte) -127);
        assertThat(Quantization.decode(Codec.INT8, p, B + 1)[B]).isCloseTo(-0.001f,
                offset(1e-9f));

        // a zero block: scale 0, all zeros
        assertThat(Quantization.encode(Codec.INT4, new float[3])).containsOnly((byte) 0).hasSize(6);
        assertThat(Quantization.encode(Codec.INT8, new float[] {0f, -0f})).containsOnly((byte) 0).hasSize(6);
    }

    @Test
    void nonFiniteValuesAreRefusedByTheIntegerCodecsAndNamed() {
        for (Codec c : List.of(Codec.INT8, Codec.INT4)) {
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                float[] v = finiteValues(200, 7);
                v[130] = bad;
                assertThatThrownBy(() -> Quantization.encode(c, v)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("element 130");
                assertThatThrownBy(() -> Quantization.roundTrip(c, v)).isInstanceOf(IllegalArgumentException.class);
            }
            // the index names the element in the whole tensor, also in a later chunk
            int per = TensorCodec.elementsPerChunk(c, "n");
            float[] big = new float[per + 10];
            big[per + 3] = Float.NaN;
            ChunkMeta meta = new ChunkMeta(UUID.randomUUID(), 1, 1, "n", 1, c);
            assertThatThrownBy(() -> TensorCodec.encode(meta, big)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("element " + (per + 3) + " is NaN");
        }
        // the float codecs carry them as IEEE does
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f};
        float[] fp16 = Quantization.roundTrip(Codec.FP16, specials);
        assertThat(Float.isNaN(fp16[0])).isTrue();
        assertThat(fp16).endsWith(Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f);
    }
}
