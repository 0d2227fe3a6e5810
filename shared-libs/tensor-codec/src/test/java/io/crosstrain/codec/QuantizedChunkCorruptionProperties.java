package io.crosstrain.codec;

import static io.crosstrain.testsupport.RandomCases.between;
import static io.crosstrain.testsupport.RandomCases.oneOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crosstrain.testsupport.RandomCases;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * Damaged records of the new codecs are refused with {@link CorruptChunkException}, both when the CRC catches the
 * damage and when a broken encoder wrote a valid CRC over a payload that does not fit its header.
 */
class QuantizedChunkCorruptionProperties {

    private static final Codec[] NEW = {Codec.FP16, Codec.INT8, Codec.INT4};
    private static final ChunkMeta META = new ChunkMeta(UUID.fromString("0d8b5a39-7c4e-4f21-9a6b-3e2f1c0d9b8a"), 9,
            2, "sh-node-1", 12, Codec.INT8);

    private static byte[] record(Codec c, int length, long seed) {
        List<byte[]> records = TensorCodec.encode(META.withCodec(c), QuantizationProperties.finiteValues(length, seed));
        assertThat(records).hasSize(1);
        return records.get(0);
    }

    /** What a broken encoder would send: a valid CRC over whatever bytes it wrote. */
    private static byte[] withFreshCrc(byte[] r) {
        CRC32C crc = new CRC32C();
        crc.update(r, 0, r.length - 4);
        ByteBuffer.wrap(r).putInt(r.length - 4, (int) crc.getValue());
        return r;
    }

    private static int payloadAt(byte[] r) {
        return 68 + ByteBuffer.wrap(r).getShort(34);
    }

    private static void assertRefused(byte[] r, String message) {
        assertThatThrownBy(() -> TensorCodec.decode(r)).isInstanceOf(CorruptChunkException.class)
                .hasMessageContaining(message);
        assertThatThrownBy(() -> TensorCodec.view(r)).isInstanceOf(CorruptChunkException.class)
                .hasMessageContaining(message);
    }

    record Flip(Codec codec, int length, long seed, int mask, double where) {
    }

    @Test
    void anySingleFlippedByteIsDetected() {
        List<Flip> edges = new ArrayList<>();
        for (Codec c : NEW) {
            for (int length : List.of(0, 1, 63, 64, 65)) {
                edges.add(new Flip(c, length, length, 0xff, 0.0));
                edges.add(new Flip(c, length, length, 0x01, Math.nextDown(1.0)));
                edges.add(new Flip(c, length, length, 0x80, 0.7));
            }
        }
        int ran = RandomCases.check(edges, 1500, r -> new Flip(oneOf(r, NEW), between(r, 0, 700), r.nextLong(),
                between(r, 1, 255), r.nextDouble()), f -> {
                    byte[] r = record(f.codec(), f.length(), f.seed());
                    r[(int) (f.where() * r.length)] ^= (byte) f.mask();
                    assertThatThrownBy(() -> TensorCodec.decode(r)).isInstanceOf(CorruptChunkException.class);
                });
        assertThat(ran).isPositive();
    }

    @Test
    void truncatedPayloadsAreNamed() {
        for (Codec c : NEW) {
            byte[] r = record(c, 130, 1);
            for (int cut : new int[] {1, 2, 5, r.length - payloadAt(r) - 4}) {
                // with the CRC moved to the new end, the length check still catches it
                byte[] shorter = withFreshCrc(Arrays.copyOf(r, r.length - cut));
                assertRefused(shorter, "truncated");
            }
            assertRefused(withFreshCrc(Arrays.copyOf(r, r.length + 1)), "trailing");
        }
    }

    @Test
    void unknownCodecBytesAreNamed() {
        for (int b : new int[] {Codec.values().length, 0x7f, 0x80, 0xff}) {
            byte[] r = record(Codec.INT4, 10, 2);
            r[5] = (byte) b;
            assertRefused(withFreshCrc(r), "unknown codec byte");
            assertThatThrownBy(() -> TensorCodec.peekMeta(r)).isInstanceOf(CorruptChunkException.class);
        }
    }

    @Test
    void aPayloadSizedForAnotherCodecOrCountIsRefused() {
        // INT8 and INT4 payloads differ in size for the same count, as do FP16 and INT8
        for (Codec[] pair : new Codec[][] {{Codec.INT8, Codec.INT4}, {Codec.INT4, Codec.INT8},
                {Codec.FP16, Codec.INT8}, {Codec.INT8, Codec.FP32}}) {
            byte[] r = record(pair[0], 100, 3);
            r[5] = (byte) pair[1].ordinal();
            assertThatThrownBy(() -> TensorCodec.decode(withFreshCrc(r))).as("%s read as %s", pair[0], pair[1])
                    .isInstanceOf(CorruptChunkException.class);
        }
        for (Codec c : NEW) {
            for (int delta : new int[] {-1, 1, 64, -64}) {
                byte[] r = record(c, 129, 4);
                int countAt = payloadAt(r) - 4;
                ByteBuffer.wrap(r).putInt(countAt, 129 + delta);
                ByteBuffer.wrap(r).putLong(countAt - 16, 129 + Math.max(delta, 0)); // keep it inside the tensor
                byte[] bad = withFreshCrc(r);
                if (c.payloadBytes(129 + delta) != c.payloadBytes(129)) {
                    assertThatThrownBy(() -> TensorCodec.decode(bad)).as("%s count %d", c, 129 + delta)
                            .isInstanceOf(CorruptChunkException.class);
                } else { // INT4 130 vs 129: the padding nibble becomes an element, a legal 0
                    assertThat(TensorCodec.decode(bad).values()).hasSize(129 + delta).endsWith(0f);
                }
            }
        }
        assertThatThrownBy(() -> Quantization.decode(Codec.INT8, new byte[69], 64))
                .isInstanceOf(CorruptChunkException.class);
        assertThatThrownBy(() -> Quantization.decode(Codec.INT4, new byte[36], 65))
                .isInstanceOf(CorruptChunkException.class);
    }

    @Test
    void scalesAndValuesTheEncoderNeverWritesAreRefused() {
        for (Codec c : List.of(Codec.INT8, Codec.INT4)) {
            for (float scale : new float[] {Float.NaN, Float.POSITIVE_INFINITY, -1f, Float.MAX_VALUE / 4}) {
                byte[] r = record(c, 70, 5);
                int at = payloadAt(r) + (int) c.payloadBytes(Codec.BLOCK); // the second block's scale
                int bits = Float.floatToRawIntBits(scale);
                r[at] = (byte) bits;
                r[at + 1] = (byte) (bits >>> 8);
                r[at + 2] = (byte) (bits >>> 16);
                r[at + 3] = (byte) (bits >>> 24);
                assertRefused(withFreshCrc(r), "block 1 has scale");
            }
        }
        byte[] int8 = record(Codec.INT8, 10, 6);
        int8[payloadAt(int8) + 4 + 3] = (byte) -128;
        assertRefused(withFreshCrc(int8), "never writes");

        byte[] int4 = record(Codec.INT4, 10, 6);
        int4[payloadAt(int4) + 4 + 2] = (byte) 0x83; // high nibble -8
        assertRefused(withFreshCrc(int4), "never writes");

        byte[] odd = record(Codec.INT4, 65, 6); // the second block holds one element: its high nibble is padding
        odd[odd.length - 5] |= 0x10;
        assertRefused(withFreshCrc(odd), "never writes");
        assertThatThrownBy(() -> Quantization.decode(Codec.INT4,
                Arrays.copyOfRange(odd, payloadAt(odd), odd.length - 4), 65))
                .isInstanceOf(CorruptChunkException.class);
    }
}
