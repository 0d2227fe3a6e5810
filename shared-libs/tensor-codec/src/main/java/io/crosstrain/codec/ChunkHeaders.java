package io.crosstrain.codec;

import java.nio.ByteBuffer;

/**
 * Kafka record headers that travel with tensor chunks. Kept here because both relays (writers) and workers
 * (readers) depend on this module.
 */
public final class ChunkHeaders {

    /**
     * On grad-down records: bytes of the other datacenters' partial chunks the relay consumed for this (round, chunk),
     * an 8-byte big-endian long.
     */
    public static final String WAN_BYTES = "wan-bytes";

    /**
     * Under emulation, on gradient records of every hop: the wall-clock time (epoch ms, 8-byte big-endian long) at
     * which the emulated chips would have finished the contributions summed in it. Workers send as soon as the CPU
     * is done and relays pass the latest time on, so the round's real Kafka time hides in the paced wait; devices
     * apply the result no earlier than this time, so a round still lasts as long as its slowest chip.
     */
    public static final String READY_AT = "ready-at-ms";

    private ChunkHeaders() {
    }

    public static byte[] encodeLong(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    /** Reads an 8-byte big-endian long; 0 when the header is absent or malformed. */
    public static long decodeLong(byte[] header) {
        return header != null && header.length == 8 ? ByteBuffer.wrap(header).getLong() : 0L;
    }
}
