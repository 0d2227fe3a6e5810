package io.crosstrain.codec;

/**
 * A checked chunk record whose payload has not been decoded yet ({@link TensorCodec#view}).
 *
 * @param record    the record itself; its payload starts at {@code payloadAt}
 */
public record ChunkView(ChunkMeta meta, int chunkIndex, int chunkCount, long totalElements, long elementOffset,
                        int elementCount, byte[] record, int payloadAt) {

    /** Decodes the payload into {@code dest} from {@code destOffset} on. */
    public void copyValuesTo(float[] dest, int destOffset) {
        TensorCodec.copyPayload(record, meta.codec(), payloadAt, elementCount, dest, destOffset);
    }
}
