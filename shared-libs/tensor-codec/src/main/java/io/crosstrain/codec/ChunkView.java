package io.crosstrain.codec;

/**
 * A checked chunk record whose payload has not been decoded yet ({@link TensorCodec#view}).
 *
 * @param record    the array holding the record (the record itself, or a larger buffer it was read from in place);
 *                  its payload starts at index {@code payloadAt}
 */
public record ChunkView(ChunkMeta meta, int chunkIndex, int chunkCount, long totalElements, long elementOffset,
                        int elementCount, byte[] record, int payloadAt) {

    /**
     * Adds the payload element by element to {@code acc[0 .. elementCount)}, decoding into {@code scratch} (at least
     * {@code elementCount} long, its contents overwritten) so that a caller summing chunk after chunk allocates
     * nothing. Decoding in bulk and then adding two float arrays is several times faster than adding element by
     * element from the record: the fp32 decode is a plain memory copy on little-endian machines and the add loop
     * vectorizes. The float additions are the same as decoding first and adding after.
     */
    public void addValuesTo(float[] acc, float[] scratch) {
        if (acc.length < elementCount) {
            throw new IllegalArgumentException("accumulator of " + acc.length + " for " + elementCount + " elements");
        }
        if (scratch.length < elementCount) {
            throw new IllegalArgumentException("scratch of " + scratch.length + " for " + elementCount + " elements");
        }
        copyValuesTo(scratch, 0);
        for (int i = 0; i < elementCount; i++) {
            acc[i] += scratch[i];
        }
    }

    /** The payload as a new array. */
    public float[] values() {
        float[] out = new float[elementCount];
        copyValuesTo(out, 0);
        return out;
    }

    /** Decodes the payload into {@code dest} from {@code destOffset} on. */
    public void copyValuesTo(float[] dest, int destOffset) {
        TensorCodec.copyPayload(record, meta.codec(), payloadAt, elementCount, dest, destOffset);
    }

    @Override
    public String toString() {
        return "Chunk[" + meta + ", " + chunkIndex + "/" + chunkCount + ", elements " + elementOffset + "+"
                + elementCount + " of " + totalElements + "]";
    }
}
