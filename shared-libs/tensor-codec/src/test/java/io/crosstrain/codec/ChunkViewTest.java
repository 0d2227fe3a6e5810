package io.crosstrain.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class ChunkViewTest {

    private static float[] values(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void viewAssemblesTheSameTensorAsDecode() {
        float[] v = values(300_001, 3);
        List<byte[]> records = TensorCodec.encode(new ChunkMeta(UUID.randomUUID(), 4, 1, "bj-node-0", 27, Codec.FP32), v);
        assertThat(records).hasSizeGreaterThan(2);
        TensorAssembler viaView = new TensorAssembler();
        TensorAssembler viaDecode = new TensorAssembler();
        for (int i = records.size() - 1; i >= 0; i--) {
            assertThat(viaView.accept(TensorCodec.view(records.get(i)))).isTrue();
            assertThat(viaDecode.accept(TensorCodec.decode(records.get(i)))).isTrue();
        }
        assertThat(viaView.accept(TensorCodec.view(records.get(0)))).as("duplicate").isFalse();
        assertThat(viaView.complete()).isTrue();
        assertThat(viaView.values()).containsExactly(v);
        assertThat(viaView.values()).containsExactly(viaDecode.values());
        assertThat(viaView.meta().sampleCount()).isEqualTo(27);
    }

    @Test
    void viewRejectsACorruptRecord() {
        byte[] record = TensorCodec.encode(new ChunkMeta(UUID.randomUUID(), 1, 1, "n", 1, Codec.FP32),
                values(1000, 5)).get(0);
        record[record.length / 2] ^= 0x10;
        assertThatThrownBy(() -> TensorCodec.view(record)).isInstanceOf(CorruptChunkException.class)
                .hasMessageContaining("CRC32C mismatch");
    }

    /** A record in the middle of a larger array, as Kafka's ByteBufferDeserializer hands it out. */
    private static ByteBuffer embedded(byte[] record, int before, int after) {
        byte[] fetch = new byte[before + record.length + after];
        new SplittableRandom(before).nextBytes(fetch);
        System.arraycopy(record, 0, fetch, before, record.length);
        return ByteBuffer.wrap(fetch, before, record.length).slice();
    }

    @Test
    void aRecordInsideALargerBufferIsReadInPlace() {
        for (Codec codec : Codec.values()) {
            float[] v = values(5_000, 11);
            byte[] record = TensorCodec.encode(new ChunkMeta(UUID.randomUUID(), 9, 2, "sh-node-3", 64, codec), v)
                    .get(0);
            ByteBuffer slice = embedded(record, 1_237, 501);
            ChunkView inPlace = TensorCodec.view(slice);
            ChunkView alone = TensorCodec.view(record);
            assertThat(inPlace.record()).as("%s: no copy", codec).isSameAs(slice.array());
            assertThat(slice.position()).as("position left alone").isZero();
            assertThat(inPlace.meta()).isEqualTo(alone.meta());
            float[] a = new float[alone.elementCount()];
            float[] b = new float[alone.elementCount()];
            inPlace.copyValuesTo(a, 0);
            alone.copyValuesTo(b, 0);
            assertThat(a).as(codec.name()).containsExactly(b);
            assertThat(a).isEqualTo(TensorCodec.decode(record).values());
        }
    }

    @Test
    void aPositionedHeapBufferAndADirectBufferReadTheSame() {
        byte[] record = TensorCodec.encode(new ChunkMeta(UUID.randomUUID(), 2, 1, "n", 3, Codec.INT8),
                values(2_000, 13)).get(0);
        ByteBuffer positioned = ByteBuffer.allocate(record.length + 100);
        positioned.position(60);
        positioned.put(record).flip().position(60);
        ByteBuffer direct = ByteBuffer.allocateDirect(record.length).put(record).flip();
        float[] expected = TensorCodec.decode(record).values();
        for (ByteBuffer b : List.of(positioned, direct)) {
            ChunkView v = TensorCodec.view(b);
            float[] got = new float[v.elementCount()];
            v.copyValuesTo(got, 0);
            assertThat(got).containsExactly(expected);
        }
        assertThat(positioned.position()).isEqualTo(60);
        assertThat(direct.position()).isZero();
    }

    @Test
    void aCorruptRecordInsideALargerBufferIsRejected() {
        byte[] record = TensorCodec.encode(new ChunkMeta(UUID.randomUUID(), 1, 1, "n", 1, Codec.FP32),
                values(1000, 5)).get(0);
        ByteBuffer slice = embedded(record, 333, 77);
        slice.array()[333 + record.length / 2] ^= 0x10;
        assertThatThrownBy(() -> TensorCodec.view(slice)).isInstanceOf(CorruptChunkException.class)
                .hasMessageContaining("CRC32C mismatch");
        // the bytes around the record are not part of it: a slice one byte short or long is malformed
        ByteBuffer intact = embedded(record, 333, 77);
        assertThatThrownBy(() -> TensorCodec.view(ByteBuffer.wrap(intact.array(), 333, record.length - 1)))
                .isInstanceOf(CorruptChunkException.class);
        assertThatThrownBy(() -> TensorCodec.view(ByteBuffer.wrap(intact.array(), 333, record.length + 1)))
                .isInstanceOf(CorruptChunkException.class).hasMessageContaining("trailing bytes");
        assertThatThrownBy(() -> TensorCodec.view(intact.array(), 400, intact.array().length))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void addingThroughAScratchBufferMatchesDecodeThenAdd() {
        for (Codec codec : Codec.values()) {
            float[] acc = values(3_001, 21);
            float[] expected = acc.clone();
            byte[] record = TensorCodec.encode(new ChunkMeta(UUID.randomUUID(), 1, 1, "n", 1, codec),
                    values(3_001, 22)).get(0);
            float[] decoded = TensorCodec.decode(record).values();
            for (int i = 0; i < decoded.length; i++) {
                expected[i] += decoded[i];
            }
            float[] scratch = values(4_000, 23); // stale contents must not leak into the sum
            ChunkView v = TensorCodec.view(embedded(record, 17, 0));
            v.addValuesTo(acc, scratch);
            assertThat(acc).as(codec.name()).containsExactly(expected);
            assertThatThrownBy(() -> v.addValuesTo(new float[3_001], new float[3_000]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scratch");
        }
    }
}
