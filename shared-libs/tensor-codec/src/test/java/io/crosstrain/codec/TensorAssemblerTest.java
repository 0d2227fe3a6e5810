package io.crosstrain.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class TensorAssemblerTest {

    private final ChunkMeta meta = new ChunkMeta(UUID.randomUUID(), 5, 1, "relay-bj", 64, Codec.FP32);

    @Test
    void duplicatesAreRefusedAndCompletionNeedsEveryChunk() {
        TensorAssembler a = new TensorAssembler();
        Chunk c1 = new Chunk(meta, 1, 2, 4, 2, new float[] {3f, 4f});
        Chunk c0 = new Chunk(meta, 0, 2, 4, 0, new float[] {1f, 2f});

        assertThat(a.accept(c1)).isTrue();
        assertThat(a.complete()).isFalse();
        assertThatThrownBy(a::values).isInstanceOf(IllegalStateException.class);
        assertThat(a.accept(new Chunk(meta, 1, 2, 4, 2, new float[] {9f, 9f}))).isFalse();
        assertThat(a.accept(c0)).isTrue();
        assertThat(a.complete()).isTrue();
        assertThat(a.values()).containsExactly(1f, 2f, 3f, 4f);
        assertThat(a.received()).isEqualTo(2);
    }

    @Test
    void chunksOfAnotherTensorAreRejected() {
        TensorAssembler a = new TensorAssembler();
        a.accept(new Chunk(meta, 0, 2, 4, 0, new float[] {1f, 2f}));
        ChunkMeta otherRound = new ChunkMeta(meta.jobId(), 6, 1, "relay-bj", 64, Codec.FP32);
        assertThatThrownBy(() -> a.accept(new Chunk(otherRound, 1, 2, 4, 2, new float[2])))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.accept(new Chunk(meta, 1, 3, 4, 2, new float[2])))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.accept(new Chunk(meta, 1, 2, 4, 3, new float[2])))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
