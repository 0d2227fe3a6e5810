package io.crosstrain.codec;

import java.util.BitSet;
import java.util.Objects;

/**
 * Collects the chunks of one tensor (one job, one round) in any order. Not thread-safe.
 */
public final class TensorAssembler {

    private ChunkMeta first;
    private int chunkCount = -1;
    private long totalElements;
    private float[] values;
    private BitSet seen;
    private int received;

    /**
     * Copies the chunk's elements into place.
     *
     * @return false when a chunk with this index was already accepted (a duplicate; nothing changes)
     * @throws IllegalArgumentException when the chunk belongs to another tensor (job, round, chunk count or size
     *                                  differ from the first chunk) or lies outside it
     */
    public boolean accept(Chunk c) {
        Objects.requireNonNull(c, "chunk");
        if (first == null) {
            if (c.totalElements() > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("tensor of " + c.totalElements() + " elements is too large");
            }
            first = c.meta();
            chunkCount = c.chunkCount();
            totalElements = c.totalElements();
            values = new float[(int) totalElements];
            seen = new BitSet(chunkCount);
        } else if (!first.jobId().equals(c.meta().jobId()) || first.round() != c.meta().round()
                || chunkCount != c.chunkCount() || totalElements != c.totalElements()) {
            throw new IllegalArgumentException(c + " does not belong to the tensor of job " + first.jobId()
                    + " round " + first.round() + " (" + chunkCount + " chunks, " + totalElements + " elements)");
        }
        if (c.chunkIndex() < 0 || c.chunkIndex() >= chunkCount
                || c.elementOffset() < 0 || c.elementOffset() > totalElements - c.elementCount()) {
            throw new IllegalArgumentException(c + " lies outside its tensor");
        }
        if (seen.get(c.chunkIndex())) {
            return false;
        }
        System.arraycopy(c.values(), 0, values, (int) c.elementOffset(), c.elementCount());
        seen.set(c.chunkIndex());
        received++;
        return true;
    }

    public boolean complete() {
        return first != null && received == chunkCount;
    }

    /** Chunks accepted so far. */
    public int received() {
        return received;
    }

    /** The meta of the first accepted chunk, or null before any. */
    public ChunkMeta meta() {
        return first;
    }

    /** The whole tensor; only once {@link #complete()}. */
    public float[] values() {
        if (!complete()) {
            throw new IllegalStateException("tensor incomplete: " + received + " of "
                    + (chunkCount < 0 ? "?" : chunkCount) + " chunks");
        }
        return values;
    }
}
