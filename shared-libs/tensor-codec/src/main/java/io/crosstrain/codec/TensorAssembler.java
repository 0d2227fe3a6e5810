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
        if (!admit(c.meta(), c.chunkIndex(), c.chunkCount(), c.totalElements(), c.elementOffset(), c.elementCount(),
                c)) {
            return false;
        }
        System.arraycopy(c.values(), 0, values, (int) c.elementOffset(), c.elementCount());
        return true;
    }

    /** Like {@link #accept(Chunk)}, decoding the payload once, straight into the tensor. */
    public boolean accept(ChunkView v) {
        Objects.requireNonNull(v, "chunk");
        if (!admit(v.meta(), v.chunkIndex(), v.chunkCount(), v.totalElements(), v.elementOffset(), v.elementCount(),
                v)) {
            return false;
        }
        v.copyValuesTo(values, (int) v.elementOffset());
        return true;
    }

    /** Checks that the chunk belongs here and marks it seen; false for a duplicate. */
    private boolean admit(ChunkMeta meta, int chunkIndex, int count, long total, long offset, int elements,
                          Object shown) {
        if (first == null) {
            if (total > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("tensor of " + total + " elements is too large");
            }
            first = meta;
            chunkCount = count;
            totalElements = total;
            values = new float[(int) totalElements];
            seen = new BitSet(chunkCount);
        } else if (!first.jobId().equals(meta.jobId()) || first.round() != meta.round()
                || chunkCount != count || totalElements != total) {
            throw new IllegalArgumentException(shown + " does not belong to the tensor of job " + first.jobId()
                    + " round " + first.round() + " (" + chunkCount + " chunks, " + totalElements + " elements)");
        }
        if (chunkIndex < 0 || chunkIndex >= chunkCount || offset < 0 || offset > totalElements - elements) {
            throw new IllegalArgumentException(shown + " lies outside its tensor");
        }
        if (seen.get(chunkIndex)) {
            return false;
        }
        seen.set(chunkIndex);
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
