package io.crosstrain.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;

class TensorCodecProperties {

    private static final int FP32_PER_CHUNK = TensorCodec.elementsPerChunk(Codec.FP32, "x");
    private static final int BF16_PER_CHUNK = TensorCodec.elementsPerChunk(Codec.BF16, "x");

    @Provide
    Arbitrary<Integer> lengths() {
        int p = FP32_PER_CHUNK;
        int b = BF16_PER_CHUNK;
        Arbitrary<Integer> edges = Arbitraries.of(0, 1, 2, p - 1, p, p + 1, 2 * p - 1, 2 * p, 2 * p + 1, 3 * p,
                b - 1, b, b + 1, 2 * b + 1);
        return Arbitraries.frequencyOf(
                Tuple.of(3, edges),
                Tuple.of(1, Arbitraries.integers().between(0, 1000)),
                Tuple.of(1, Arbitraries.integers().between(0, 3 * p + 7)));
    }

    @Provide
    Arbitrary<String> senders() {
        // up to 64 bytes of UTF-8: ASCII device ids, and multi-byte names filling the limit exactly
        return Arbitraries.oneOf(
                Arbitraries.strings().alpha().numeric().withChars('-', '_').ofMinLength(0).ofMaxLength(64),
                Arbitraries.strings().withChars('数', '据', '中', '心').ofMinLength(1).ofMaxLength(21),
                Arbitraries.just("x".repeat(64)));
    }

    @Provide
    Arbitrary<ChunkMeta> metas() {
        return Combinators.combine(
                Arbitraries.longs(), Arbitraries.longs(), Arbitraries.longs().between(0, Long.MAX_VALUE),
                Arbitraries.integers().between(0, Integer.MAX_VALUE), senders(),
                Arbitraries.integers().between(0, Integer.MAX_VALUE), Arbitraries.of(Codec.class))
                .as((a, b, round, plan, sender, samples, codec) ->
                        new ChunkMeta(new UUID(a, b), round, plan, sender, samples, codec));
    }

    @Property(tries = 60)
    void roundTripKeepsEveryElement(@ForAll("metas") ChunkMeta meta, @ForAll("lengths") int length,
                                    @ForAll long seed) {
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
            assertThat(Float.floatToRawIntBits(back[i])).as("element %d", i).isEqualTo(expected);
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

    @Property(tries = 300)
    void anySingleFlippedByteIsDetected(@ForAll("metas") ChunkMeta meta,
                                        @ForAll @IntRange(min = 0, max = 700) int length,
                                        @ForAll long seed,
                                        @ForAll @IntRange(min = 1, max = 255) int mask,
                                        @ForAll @FloatRange(min = 0, max = 1, maxIncluded = false) float where) {
        byte[] record = TensorCodec.encode(meta, randomBits(length, seed)).get(0);
        int position = (int) (where * record.length);
        record[position] ^= (byte) mask;

        assertThatThrownBy(() -> TensorCodec.decode(record)).isInstanceOf(CorruptChunkException.class);
    }

    @Property(tries = 20)
    void flippedByteInAFullChunkIsDetected(@ForAll long seed, @ForAll @IntRange(min = 1, max = 255) int mask,
                                           @ForAll @FloatRange(min = 0, max = 1, maxIncluded = false) float where) {
        ChunkMeta meta = new ChunkMeta(UUID.randomUUID(), 7, 1, "bj-node-3-gpu-5", 32, Codec.FP32);
        byte[] record = TensorCodec.encode(meta, randomBits(FP32_PER_CHUNK, seed)).get(0);
        assertThat(record.length).isLessThanOrEqualTo(TensorCodec.MAX_CHUNK_BYTES);
        record[(int) (where * record.length)] ^= (byte) mask;

        assertThatThrownBy(() -> TensorCodec.decode(record)).isInstanceOf(CorruptChunkException.class);
    }

    @Property
    void bf16RoundingStaysWithinHalfAUnitInTheLastPlace(
            @ForAll @FloatRange(min = -1e37f, max = 1e37f) float x) {
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
    }

    @Property(tries = 200)
    void bf16IsTheNearestRepresentable(@ForAll int bits) {
        float x = Float.intBitsToFloat(bits);
        if (Float.isNaN(x) || Float.isInfinite(x) || Math.abs(x) > 3.3e38f) {
            return;
        }
        float y = TensorCodec.roundToBf16(x);
        float below = Float.intBitsToFloat(bits & 0xffff0000);
        float above = Float.intBitsToFloat((bits & 0xffff0000) + 0x10000);
        double best = Math.min(Math.abs((double) x - below), Math.abs((double) x - above));
        assertThat(Math.abs((double) x - y)).isEqualTo(best);
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
