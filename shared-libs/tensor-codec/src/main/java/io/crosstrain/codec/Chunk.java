package io.crosstrain.codec;

import java.util.Arrays;
import java.util.Objects;

/**
 * One decoded chunk: elements {@code [elementOffset, elementOffset + values.length)} of a tensor of
 * {@code totalElements} elements that was split into {@code chunkCount} chunks.
 */
public record Chunk(ChunkMeta meta, int chunkIndex, int chunkCount, long totalElements, long elementOffset,
                    float[] values) {

    public Chunk {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(values, "values");
    }

    public int elementCount() {
        return values.length;
    }

    // records compare arrays by reference; a chunk is a value, so compare its contents (bit patterns)
    @Override
    public boolean equals(Object o) {
        return o instanceof Chunk c && meta.equals(c.meta) && chunkIndex == c.chunkIndex
                && chunkCount == c.chunkCount && totalElements == c.totalElements
                && elementOffset == c.elementOffset && Arrays.equals(values, c.values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(meta, chunkIndex, chunkCount, totalElements, elementOffset) * 31
                + Arrays.hashCode(values);
    }

    @Override
    public String toString() {
        return "Chunk[" + meta + ", " + chunkIndex + "/" + chunkCount + ", elements " + elementOffset + "+"
                + values.length + " of " + totalElements + "]";
    }
}
