package io.crosstrain.codec;

import io.crosstrain.testsupport.RandomCases;
import static io.crosstrain.testsupport.RandomCases.between;
import static io.crosstrain.testsupport.RandomCases.oneOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Properties of the chunk codec, checked on edge cases plus seeded random cases (see {@link RandomCases}). */
class TensorCodecProperties {

    private static final int FP32_PER_CHUNK = TensorCodec.elementsPerChunk(Codec.FP32, "x");
    private static final int BF16_PER_CHUNK = TensorCodec.elementsPerChunk(Codec.BF16, "x");

    /** Tensor lengths at and around the chunk boundaries of both codecs, where splitting goes wrong first. */
    private static final List<Integer> EDGE_LENGTHS;

    static {
        int p = FP32_PER_CHUNK;
        int b = BF16_PER_CHUNK;
        EDGE_LENGTHS = java.util.stream.Stream.of(0, 1, 2, p - 1, p, p + 1, 2 * p - 1, 2 * p, 2 * p + 1, 3 * p,
                b - 1, b, b + 1, 2 * b + 1).distinct().toList();
    }

    /**
     * The codecs whose round trip these properties predict bit for bit (and which carry any bit pattern);
     * FP16, INT8 and INT4 have their own properties in {@link QuantizationProperties}.
     */
    private static final Codec[] BIT_EXACT = {Codec.FP32, Codec.BF16};

    private static final String LONGEST_ASCII_SENDER = "x".repeat(TensorCodec.MAX_SENDER_BYTES);
    /** 21 three-byte characters: 63 bytes of UTF-8, one short of the limit. */
    private static final String LONGEST_CJK_SENDER = "数据中心".repeat(6).substring(0, 21);
    private static final String SENDER_ALPHABET =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    private static final String CJK_ALPHABET = "数据中心";

    /** Metadata at the extremes of every field, one per sender shape. */
    private static List<ChunkMeta> edgeMetas(Codec codec) {
        return List.of(
                new ChunkMeta(new UUID(0, 0), 0, 0, "", 0, codec),
                new ChunkMeta(new UUID(Long.MIN_VALUE, Long.MAX_VALUE), Long.MAX_VALUE, Integer.MAX_VALUE,
                        LONGEST_ASCII_SENDER, Integer.MAX_VALUE, codec),
                new ChunkMeta(new UUID(-1, 1), 1, 1, LONGEST_CJK_SENDER, 1, codec));
    }

    static int randomLength(SplittableRandom r) {
        // like the old generator: edge lengths three times as often as either uniform range
        int pick = r.nextInt(5);
        if (pick < 3) {
            return EDGE_LENGTHS.get(r.nextInt(EDGE_LENGTHS.size()));
        }
        return pick == 3 ? between(r, 0, 1000) : between(r, 0, 3 * FP32_PER_CHUNK + 7);
    }

    /** Up to 64 bytes of UTF-8: ASCII device ids, multi-byte names, and a sender filling the limit exactly. */
    static String randomSender(SplittableRandom r) {
        return switch (r.nextInt(3)) {
            case 0 -> randomString(r, SENDER_ALPHABET, between(r, 0, 64));
            case 1 -> randomString(r, CJK_ALPHABET, between(r, 1, 21));
            default -> LONGEST_ASCII_SENDER;
        };
    }

    private static String randomString(SplittableRandom r, String alphabet, int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return s.toString();
    }

    static ChunkMeta randomMeta(SplittableRandom r) {
        return new ChunkMeta(new UUID(r.nextLong(), r.nextLong()), r.nextLong() & Long.MAX_VALUE,
                between(r, 0, Integer.MAX_VALUE), randomSender(r), between(r, 0, Integer.MAX_VALUE),
                oneOf(r, BIT_EXACT));
    }

    // ---------------------------------------------------------------- round trip

    record RoundTrip(ChunkMeta meta, int length, long seed) {
    }

    @Test
    void roundTripKeepsEveryElement() {
        List<RoundTrip> edges = new ArrayList<>();
        for (Codec codec : BIT_EXACT) {
            for (ChunkMeta meta : edgeMetas(codec)) {
                for (int length : EDGE_LENGTHS) {
                    edges.add(new RoundTrip(meta, length, edges.size()));
                }
            }
        }
        int ran = RandomCases.check(edges, 1000,
                r -> new RoundTrip(randomMeta(r), randomLength(r), r.nextLong()),
                c -> roundTrip(c.meta(), c.length(), c.seed()));
        assertThat(ran).isPositive();
    }

    private static void roundTrip(ChunkMeta meta, int length, long seed) {
        float[] values = randomBits(length, seed);
        List<byte[]> records = TensorCodec.encode(meta, values);

        assertThat(records).hasSize(TensorCodec.chunkCount(meta.codec(), meta.sender(), length));
        List<Chunk> chunks = new ArrayList<>();
        for (byte[] r : records) {
            assertThat(r.length).isLessThanOrEqualTo(TensorCodec.MAX_CHUNK_BYTES);
            assertThat(TensorCodec.peekMeta(r)).isEqualTo(meta);
            chunks.add(TensorCodec.decode(r));
        }
        Collections.shuffle(chunks, new Random(seed));
        TensorAssembler assembler = new TensorAssembler();
        for (Chunk c : chunks) {
            assertThat(c.meta()).isEqualTo(meta);
            assertThat(c.totalElements()).isEqualTo(length);
            assertThat(assembler.accept(c)).isTrue();
        }
        assertThat(assembler.complete()).isTrue();
        float[] back = assembler.values();
        assertThat(back).hasSize(length);
        for (int i = 0; i < length; i++) {
            int expected = Float.floatToRawIntBits(meta.codec() == Codec.FP32 ? values[i]
                    : TensorCodec.roundToBf16(values[i]));
            int actual = Float.floatToRawIntBits(back[i]);
            if (actual != expected) { // one plain comparison per element: AssertJ per element is too slow here
                fail("element %d: expected bits 0x%08x, got 0x%08x", i, expected, actual);
            }
        }
        // chunks tile the tensor without gaps or overlaps
        long next = 0;
        chunks.sort((x, y) -> Integer.compare(x.chunkIndex(), y.chunkIndex()));
        for (Chunk c : chunks) {
            assertThat(c.elementOffset()).isEqualTo(next);
            next += c.elementCount();
        }
        assertThat(next).isEqualTo(length);
    }

    // ---------------------------------------------------------------- corruption

    /** One record with one byte XOR-ed with {@code mask} at {@code position}. */
    record Flip(ChunkMeta meta, int length, long seed, int mask, int position) {
    }

    @Test
    void anySingleFlippedByteIsDetected() {
        List<Flip> edges = new ArrayList<>();
        // every byte of the smallest records, with the lowest, highest and all bits flipped
        for (ChunkMeta meta : List.of(edgeMetas(Codec.FP32).get(0), edgeMetas(Codec.BF16).get(1))) {
            for (int length : List.of(0, 1)) {
                int size = TensorCodec.encodedSize(meta.codec(), meta.sender(), length);
                for (int position = 0; position < size; position++) {
                    for (int mask : List.of(0x01, 0x80, 0xff)) {
                        edges.add(new Flip(meta, length, position, mask, position));
                    }
                }
            }
        }
        // the ends of the length range, flipped at the first and the last byte
        for (ChunkMeta meta : edgeMetas(Codec.FP32)) {
            for (int length : List.of(699, 700)) {
                int size = TensorCodec.encodedSize(meta.codec(), meta.sender(), length);
                edges.add(new Flip(meta, length, length, 0x02, 0));
                edges.add(new Flip(meta, length, length, 0xfe, size - 1));
            }
        }
        int ran = RandomCases.check(edges, 2000, r -> {
            ChunkMeta meta = randomMeta(r);
            int length = between(r, 0, 700);
            int size = TensorCodec.encodedSize(meta.codec(), meta.sender(), length);
            return new Flip(meta, length, r.nextLong(), between(r, 1, 255), (int) (r.nextDouble() * size));
        }, c -> {
            List<byte[]> records = TensorCodec.encode(c.meta(), randomBits(c.length(), c.seed()));
            assertThat(records).hasSize(1);
            byte[] record = records.get(0);
            assertThat(c.position()).isBetween(0, record.length - 1);
            record[c.position()] ^= (byte) c.mask();

            assertThatThrownBy(() -> TensorCodec.decode(record)).isInstanceOf(CorruptChunkException.class);
        });
        assertThat(ran).isPositive();
    }

    record FullChunkFlip(long seed, int mask, double where) {
    }

    @Test
    void flippedByteInAFullChunkIsDetected() {
        ChunkMeta meta = new ChunkMeta(UUID.fromString("6f1c2a44-39d5-4c07-9b8e-1d2f3a4b5c6d"), 7, 1,
                "bj-node-3-gpu-5", 32, Codec.FP32);
        List<FullChunkFlip> edges = List.of(
                new FullChunkFlip(0, 1, 0.0), new FullChunkFlip(Long.MAX_VALUE, 255, 0.0),
                new FullChunkFlip(Long.MIN_VALUE, 1, Math.nextDown(1.0)), new FullChunkFlip(-1, 255, Math.nextDown(1.0)),
                new FullChunkFlip(1, 0x80, 0.5));
        int ran = RandomCases.check(edges, 1000,
                r -> new FullChunkFlip(r.nextLong(), between(r, 1, 255), r.nextDouble()),
                c -> {
                    byte[] record = TensorCodec.encode(meta, randomBits(FP32_PER_CHUNK, c.seed())).get(0);
                    assertThat(record.length).isLessThanOrEqualTo(TensorCodec.MAX_CHUNK_BYTES);
                    record[(int) (c.where() * record.length)] ^= (byte) c.mask();

                    assertThatThrownBy(() -> TensorCodec.decode(record))
                            .isInstanceOf(CorruptChunkException.class);
                });
        assertThat(ran).isPositive();
    }

    // ---------------------------------------------------------------- bf16 rounding

    @Test
    void bf16RoundingStaysWithinHalfAUnitInTheLastPlace() {
        List<Float> edges = new ArrayList<>();
        for (float f : new float[] {0f, 1f, 1e37f, Float.MIN_VALUE, Float.MIN_NORMAL, Math.nextDown(Float.MIN_NORMAL),
                0x1p-133f, 0x1p-134f, 0x1.8p-133f, 1.00390625f /* 1 + 2^-8, a tie */, 1.01171875f /* 1 + 3*2^-8 */,
                Float.intBitsToFloat(0x3f80ffff), Float.intBitsToFloat(0x3f7fffff), 0.01f, 123.45f}) {
            edges.add(f);
            edges.add(-f);
        }
        int ran = RandomCases.check(edges, 20_000, r -> switch (r.nextInt(3)) {
            // uniform over the range, like the old generator
            case 0 -> (float) r.nextDouble(-1e37, 1e37);
            // any magnitude down to the subnormals, which a uniform draw never reaches
            case 1 -> (float) (oneOf(r, 1.0, -1.0) * Math.scalb(1.0 + r.nextDouble(), between(r, -150, 122)));
            // arbitrary bit patterns inside the range
            default -> {
                float f;
                do {
                    f = Float.intBitsToFloat(r.nextInt());
                } while (!(Math.abs(f) <= 1e37f));
                yield f;
            }
        }, x -> {
            float y = TensorCodec.roundToBf16(x);
            if (Math.abs(x) >= Float.MIN_NORMAL) {
                // 8 significant bits: relative error of round-to-nearest is at most 2^-8
                assertThat((double) Math.abs(y - x)).isLessThanOrEqualTo(Math.abs((double) x) * 0x1p-8);
            } else {
                // subnormal range: absolute error at most half the smallest bf16 step
                assertThat((double) Math.abs(y - x)).isLessThanOrEqualTo(0x1p-134);
            }
            assertThat(Math.signum(y)).isIn(Math.signum(x), 0.0f, -0.0f);
            // the result is representable: another rounding changes nothing
            assertThat(TensorCodec.roundToBf16(y)).isEqualTo(y);
        });
        assertThat(ran).isPositive();
    }

    @Test
    void bf16IsTheNearestRepresentable() {
        List<Integer> edges = List.of(0, 1, -1, 2, -2, Integer.MIN_VALUE, Integer.MAX_VALUE, Integer.MIN_VALUE + 1,
                Integer.MAX_VALUE - 1, 0x00008000, 0x3f808000, 0x3f818000, 0xbf808000, 0x3f807fff, 0x3f808001,
                0x7f7f7fff, 0x00800000, 0x007fffff, 0x0000ffff, 0x7f7fffff);
        int ran = RandomCases.check(edges, 20_000, r -> r.nextInt(), bits -> {
            float x = Float.intBitsToFloat(bits);
            if (Float.isNaN(x) || Float.isInfinite(x) || Math.abs(x) > 3.3e38f) {
                return; // rounding may overflow to infinity there: not what this property is about
            }
            float y = TensorCodec.roundToBf16(x);
            float below = Float.intBitsToFloat(bits & 0xffff0000);
            float above = Float.intBitsToFloat((bits & 0xffff0000) + 0x10000);
            double best = Math.min(Math.abs((double) x - below), Math.abs((double) x - above));
            assertThat(Math.abs((double) x - y)).isEqualTo(best);
        });
        assertThat(ran).isPositive();
    }

    static float[] randomBits(int length, long seed) {
        Random r = new Random(seed);
        float[] v = new float[length];
        for (int i = 0; i < length; i++) {
            // mostly gradient-like values, sometimes arbitrary bit patterns (NaN payloads, infinities, subnormals)
            v[i] = r.nextInt(8) == 0 ? Float.intBitsToFloat(r.nextInt()) : (float) r.nextGaussian() * 1e-3f;
        }
        return v;
    }

}
