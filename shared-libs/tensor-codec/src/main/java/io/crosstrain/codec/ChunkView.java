package io.crosstrain.codec;

/**
 * A checked chunk record whose payload has not been decoded yet ({@link TensorCodec#view}).
 *
 * @param record    the record itself; its payload starts at {@code payloadAt}
 */
public record ChunkView(ChunkMeta meta, int chunkIndex, int chunkCount, long totalElements, long elementOffset,
                        int elementCount, byte[] record, int payloadAt) {

    private static final java.lang.invoke.VarHandle LE_FLOAT = java.lang.invoke.MethodHandles
            .byteArrayViewVarHandle(float[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /**
     * Adds the payload element by element to {@code acc[0 .. elementCount)}: the same float additions as decoding
     * first and adding after, without the intermediate array (fp32 payloads are read straight from the record).
     */
    public void addValuesTo(float[] acc) {
        if (acc.length < elementCount) {
            throw new IllegalArgumentException("accumulator of " + acc.length + " for " + elementCount + " elements");
        }
        if (meta.codec() == Codec.FP32) {
            byte[] r = record;
            for (int i = 0, p = payloadAt; i < elementCount; i++, p += 4) {
                acc[i] += (float) LE_FLOAT.get(r, p);
            }
            return;
        }
        float[] values = new float[elementCount];
        copyValuesTo(values, 0);
        for (int i = 0; i < elementCount; i++) {
            acc[i] += values[i];
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
