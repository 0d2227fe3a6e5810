package io.crosstrain.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class TensorCodecTest {

    private final ChunkMeta meta = new ChunkMeta(UUID.fromString("00000000-0000-0001-0000-000000000002"), 42, 3,
            "bj-gpu-0", 16, Codec.FP32);

    @Test
    void chunkCapacityDependsOnTheCodecOnly() {
        assertThat(TensorCodec.elementsPerChunk(Codec.FP32, "a"))
                .isEqualTo(TensorCodec.elementsPerChunk(Codec.FP32, "x".repeat(64)))
                .isEqualTo((TensorCodec.MAX_CHUNK_BYTES - 136) / 4);
        assertThat(TensorCodec.elementsPerChunk(Codec.BF16, "a"))
                .isEqualTo(2 * TensorCodec.elementsPerChunk(Codec.FP32, "a"));
        assertThat(TensorCodec.chunkCount(Codec.FP32, "a", 0)).isEqualTo(1);
        assertThat(TensorCodec.chunkCount(Codec.FP32, "a", 300_000)).isEqualTo(3);
    }

    @Test
    void aFullChunkWithTheLongestSenderFillsTheLimitExactly() {
        ChunkMeta longest = meta.withSender("x".repeat(64));
        int per = TensorCodec.elementsPerChunk(Codec.FP32, longest.sender());
        byte[] record = TensorCodec.encode(longest, new float[per]).get(0);
        assertThat(record.length).isLessThanOrEqualTo(TensorCodec.MAX_CHUNK_BYTES)
                .isGreaterThan(TensorCodec.MAX_CHUNK_BYTES - 4);
        assertThatThrownBy(() -> TensorCodec.encodeChunk(longest, 0, 1, per + 1, 0, new float[per + 1], 0, per + 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void wireLayoutMatchesTheDocumentedOffsets() {
        byte[] r = TensorCodec.encodeChunk(meta, 1, 3, 10, 4, new float[] {9f, 1.5f, -2f}, 1, 2);
        ByteBuffer b = ByteBuffer.wrap(r);
        int s = "bj-gpu-0".length();
        assertThat(b.getInt(0)).isEqualTo(0x43544348);
        assertThat(r[4]).isEqualTo((byte) 1);
        assertThat(r[5]).isEqualTo((byte) 0);
        assertThat(b.getLong(6)).isEqualTo(1L);
        assertThat(b.getLong(14)).isEqualTo(2L);
        assertThat(b.getLong(22)).isEqualTo(42L);
        assertThat(b.getInt(30)).isEqualTo(3);
        assertThat(b.getShort(34)).isEqualTo((short) s);
        assertThat(b.getInt(36 + s)).isEqualTo(16);
        assertThat(b.getInt(40 + s)).isEqualTo(1);
        assertThat(b.getInt(44 + s)).isEqualTo(3);
        assertThat(b.getLong(48 + s)).isEqualTo(10L);
        assertThat(b.getLong(56 + s)).isEqualTo(4L);
        assertThat(b.getInt(64 + s)).isEqualTo(2);
        // payload little-endian
        assertThat(Float.intBitsToFloat(Integer.reverseBytes(b.getInt(68 + s)))).isEqualTo(1.5f);
        assertThat(Float.intBitsToFloat(Integer.reverseBytes(b.getInt(72 + s)))).isEqualTo(-2f);
        assertThat(r).hasSize(72 + s + 8).hasSize(TensorCodec.encodedSize(Codec.FP32, "bj-gpu-0", 2));

        Chunk c = TensorCodec.decode(r);
        assertThat(c).isEqualTo(new Chunk(meta, 1, 3, 10, 4, new float[] {1.5f, -2f}));
    }

    @Test
    void badMagicIsNamed() {
        byte[] r = TensorCodec.encode(meta, new float[] {1f}).get(0);
        r[0] = 'X';
        assertThatThrownBy(() -> TensorCodec.decode(r)).isInstanceOf(CorruptChunkException.class)
                .hasMessageContaining("bad magic");
    }

    @Test
    void unsupportedVersionIsNamed() {
        byte[] r = TensorCodec.encode(meta, new float[] {1f}).get(0);
        r[4] = 2;
        assertThatThrownBy(() -> TensorCodec.decode(r)).isInstanceOf(CorruptChunkException.class)
                .hasMessageContaining("unsupported version 2");
        assertThatThrownBy(() -> TensorCodec.peekMeta(r)).isInstanceOf(CorruptChunkException.class);
    }

    @Test
    void truncationIsNamed() {
        byte[] r = TensorCodec.encode(meta, new float[] {1f, 2f, 3f}).get(0);
        for (int len : new int[] {0, 3, 20, r.length - 1}) {
            byte[] cut = Arrays.copyOf(r, len);
            assertThatThrownBy(() -> TensorCodec.decode(cut)).as("length %d", len)
                    .isInstanceOf(CorruptChunkException.class).hasMessageContaining("truncated");
        }
        assertThatThrownBy(() -> TensorCodec.decode(Arrays.copyOf(r, r.length + 1)))
                .isInstanceOf(CorruptChunkException.class).hasMessageContaining("trailing");
        assertThatThrownBy(() -> TensorCodec.decode(null)).isInstanceOf(CorruptChunkException.class);
    }

    @Test
    void crcMismatchReportsBothValues() {
        byte[] r = TensorCodec.encode(meta, new float[] {1f, 2f, 3f}).get(0);
        int stored = ByteBuffer.wrap(r).getInt(r.length - 4);
        r[r.length - 6] ^= 0x10; // inside the payload
        assertThatThrownBy(() -> TensorCodec.decode(r)).isInstanceOf(CorruptChunkException.class)
                .hasMessageContaining("CRC32C mismatch")
                .hasMessageContaining(String.format("stored 0x%08x", stored))
                .hasMessageContaining("computed 0x");
    }

    @Test
    void peekMetaReadsTheHeaderOnly() {
        byte[] r = TensorCodec.encode(meta.withSender("sh"), new float[] {1f}).get(0);
        r[r.length - 5] ^= 1; // payload damage is the CRC's business, not peek's
        assertThat(TensorCodec.peekMeta(r)).isEqualTo(meta.withSender("sh"));
    }

    @Test
    void encoderRejectsNonsense() {
        assertThatThrownBy(() -> new ChunkMeta(UUID.randomUUID(), 0, 0, "x".repeat(65), 1, Codec.FP32))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ChunkMeta(UUID.randomUUID(), 0, 0, "数".repeat(22), 1, Codec.FP32))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TensorCodec.encodeChunk(meta, 3, 3, 10, 0, new float[2], 0, 2))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TensorCodec.encodeChunk(meta, 0, 1, 10, 9, new float[2], 0, 2))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TensorCodec.encodeChunk(meta, 0, 1, 10, 0, new float[2], 1, 2))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bf16KeepsSpecialValues() {
        float[] specials = {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f, -1f, 65280f, 0x1p-133f};
        Chunk c = TensorCodec.decode(TensorCodec.encode(meta.withSender("b").withCodec(Codec.BF16), specials).get(0));
        assertThat(c.values()).containsExactly(specials);
        float nan = TensorCodec.roundToBf16(Float.NaN);
        assertThat(Float.isNaN(nan)).isTrue();
        // ties round to even: 1 + 2^-8 lies halfway between 1 and 1 + 2^-7
        assertThat(TensorCodec.roundToBf16(1f + 0x1p-8f)).isEqualTo(1f);
        assertThat(TensorCodec.roundToBf16(1f + 3 * 0x1p-8f)).isEqualTo(1f + 0x1p-6f);
        assertThat(TensorCodec.roundToBf16(Float.MAX_VALUE)).isEqualTo(Float.POSITIVE_INFINITY);
    }

    @Test
    void splitMatchesChunkCountForAnEmptyTensor() {
        List<byte[]> records = TensorCodec.encode(meta, new float[0]);
        assertThat(records).hasSize(1);
        Chunk c = TensorCodec.decode(records.get(0));
        assertThat(c.chunkCount()).isEqualTo(1);
        assertThat(c.values()).isEmpty();
    }
}
