package io.crosstrain.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
