package io.crosstrain.codec;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * Binary tensor chunks (ARCHITECTURE.md §3). One record is a fixed header, the payload and a CRC32C trailer:
 *
 * <pre>
 * offset      size  field                         (header and trailer big-endian)
 * 0           4     magic 0x43544348 ("CTCH")
 * 4           1     version, 1
 * 5           1     codec: 0 = FP32, 1 = BF16, 2 = FP16, 3 = INT8, 4 = INT4
 * 6           16    jobId (most, then least significant long)
 * 22          8     round
 * 30          4     planVersion
 * 34          2     S = sender length in bytes, 0..64
 * 36          S     sender, UTF-8
 * 36+S        4     sampleCount (weight of the contribution)
 * 40+S        4     chunkIndex
 * 44+S        4     chunkCount
 * 48+S        8     totalElements of the whole tensor
 * 56+S        8     elementOffset of this chunk
 * 64+S        4     elementCount N of this chunk
 * 68+S        P     payload, LITTLE-endian, P = {@link Codec#payloadBytes}(N) (below)
 * 68+S+P      4     CRC32C of every byte before it (header + payload)
 * </pre>
 *
 * Payloads ({@link Quantization} has the arithmetic):
 *
 * <pre>
 * codec  P                      layout
 * FP32   4·N                    N binary32
 * BF16   2·N                    N bfloat16 (upper halves of binary32)
 * FP16   2·N                    N IEEE binary16, finite values clamped to ±65504
 * INT8   N + 4·⌈N/64⌉           per block of 64 elements (the last may be shorter):
 *                               float32 scale = absmax/127, then one signed byte per element
 * INT4   ⌈N/2⌉ + 4·⌈N/64⌉       per block of 64: float32 scale = absmax/7, then two signed nibbles per byte,
 *                               low nibble first; an odd last block pads its last high nibble with 0
 * </pre>
 *
 * Blocks are counted from the first element of the chunk; since every chunk but the last holds whole blocks, they
 * are also the tensor's blocks, so a tensor quantizes the same whether it is sent whole or chunk by chunk. INT8 and
 * INT4 refuse NaN and ±∞ when encoding (IllegalArgumentException naming the element); decoding refuses a scale that
 * is negative, NaN or so large that the top level would decode to infinity, and a value the encoder never writes
 * (-128, nibble -8, non-zero padding).
 *
 * The CRC sits at the end of the record so the encoder writes everything in one pass and the checksum covers all
 * of it. Every record is at most {@link #MAX_CHUNK_BYTES} including header and trailer. How many elements a chunk
 * carries depends only on the codec, never on the sender: the capacity reserves room for the longest sender, so
 * chunk {@code i} of a tensor covers the same elements whoever sends it, which lets a relay sum contributions chunk
 * by chunk.
 */
public final class TensorCodec {

    public static final int MAGIC = 0x43544348;
    public static final byte VERSION = 1;
    public static final int MAX_CHUNK_BYTES = 512 * 1024;
    public static final int MAX_SENDER_BYTES = 64;
    /** Header without the sender, plus the CRC trailer. */
    static final int FIXED_OVERHEAD = 72;
    private static final int SENDER_LENGTH_AT = 34;
    private static final int SENDER_AT = 36;
    private static final int MIN_RECORD = FIXED_OVERHEAD;
    private static final int PAYLOAD_CAPACITY = MAX_CHUNK_BYTES - FIXED_OVERHEAD - MAX_SENDER_BYTES;

    private TensorCodec() {
    }

    /** Elements one chunk carries (the last chunk of a tensor may carry fewer). Independent of the sender. */
    public static int elementsPerChunk(Codec c, String sender) {
        Objects.requireNonNull(c, "codec");
        if (sender != null) {
            senderBytes(sender); // validates the length
        }
        if (c.blockwise()) { // whole blocks only, so chunk boundaries are block boundaries
            return (int) (PAYLOAD_CAPACITY / c.payloadBytes(Codec.BLOCK)) * Codec.BLOCK;
        }
        return (int) (PAYLOAD_CAPACITY * 8L / c.bitsPerValue());
    }

    /** Bytes of an encoded chunk of {@code elementCount} elements from {@code sender}. */
    public static int encodedSize(Codec c, String sender, int elementCount) {
        long size = FIXED_OVERHEAD + senderBytes(sender).length + c.payloadBytes(elementCount);
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(elementCount + " elements of " + c + " exceed any record");
        }
        return (int) size;
    }

    /** Chunks a tensor of {@code totalElements} splits into; an empty tensor still travels as one empty chunk. */
    public static int chunkCount(Codec c, String sender, long totalElements) {
        if (totalElements < 0) {
            throw new IllegalArgumentException("totalElements must not be negative: " + totalElements);
        }
        long per = elementsPerChunk(c, sender);
        long n = Math.max(1, (totalElements + per - 1) / per);
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor of " + totalElements + " elements needs too many chunks");
        }
        return (int) n;
    }

    /** Splits a whole tensor into chunk records of at most {@link #MAX_CHUNK_BYTES} each. */
    public static List<byte[]> encode(ChunkMeta meta, float[] values) {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(values, "values");
        int per = elementsPerChunk(meta.codec(), meta.sender());
        int n = chunkCount(meta.codec(), meta.sender(), values.length);
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int from = i * per;
            int count = Math.min(per, values.length - from);
            out.add(encodeChunk(meta, i, n, values.length, from, values, from, count));
        }
        return out;
    }

    /**
     * Encodes elements {@code src[srcFrom .. srcFrom+count)} as chunk {@code chunkIndex} of {@code chunkCount} of a
     * tensor of {@code totalElements} elements, where they sit at {@code elementOffset}.
     */
    public static byte[] encodeChunk(ChunkMeta meta, int chunkIndex, int chunkCount, long totalElements,
                                     long elementOffset, float[] src, int srcFrom, int count) {
        Objects.requireNonNull(meta, "meta");
        Objects.requireNonNull(src, "src");
        Codec codec = meta.codec();
        if (count < 0 || count > elementsPerChunk(codec, null)) {
            throw new IllegalArgumentException("chunk of " + count + " elements exceeds the "
                    + elementsPerChunk(codec, null) + " that fit " + MAX_CHUNK_BYTES + " bytes with codec " + codec);
        }
        if (srcFrom < 0 || srcFrom > src.length - count) {
            throw new IllegalArgumentException("source range " + srcFrom + "+" + count + " outside an array of "
                    + src.length);
        }
        if (chunkCount < 1 || chunkIndex < 0 || chunkIndex >= chunkCount) {
            throw new IllegalArgumentException("chunk index " + chunkIndex + " of " + chunkCount);
        }
        if (totalElements < 0 || elementOffset < 0 || elementOffset > totalElements - count) {
            throw new IllegalArgumentException("elements " + elementOffset + "+" + count + " outside a tensor of "
                    + totalElements);
        }
        byte[] sender = senderBytes(meta.sender());
        int headerLength = SENDER_AT + sender.length + 32;
        int payloadLength = (int) codec.payloadBytes(count);
        byte[] out = new byte[headerLength + payloadLength + 4];

        ByteBuffer header = ByteBuffer.wrap(out); // big-endian
        header.putInt(MAGIC).put(VERSION).put((byte) codec.ordinal())
                .putLong(meta.jobId().getMostSignificantBits()).putLong(meta.jobId().getLeastSignificantBits())
                .putLong(meta.round()).putInt(meta.planVersion())
                .putShort((short) sender.length).put(sender)
                .putInt(meta.sampleCount()).putInt(chunkIndex).putInt(chunkCount)
                .putLong(totalElements).putLong(elementOffset).putInt(count);

        Quantization.write(codec, src, srcFrom, count, elementOffset, out, headerLength);

        int crcAt = out.length - 4;
        CRC32C crc = new CRC32C();
        crc.update(out, 0, crcAt);
        header.putInt(crcAt, (int) crc.getValue());
        return out;
    }

    /** Decodes and verifies one record. */
    public static Chunk decode(byte[] record) {
        Header h = verifiedHeader(record, 0, record == null ? 0 : record.length);
        ChunkMeta meta = h.meta(decodeSender(record, 0, h.senderLength));
        float[] values = new float[h.elementCount];
        copyPayload(record, h, values, 0);
        return new Chunk(meta, h.chunkIndex, h.chunkCount, h.totalElements, h.elementOffset, values);
    }

    /**
     * Checks a record like {@link #decode} and describes it without decoding its payload: the receiver then copies
     * the payload once, straight into the whole tensor ({@link TensorAssembler#accept(ChunkView)}).
     */
    public static ChunkView view(byte[] record) {
        return view(record, 0, record == null ? 0 : record.length);
    }

    /**
     * As {@link #view(byte[])} for a record that sits at {@code record[offset .. offset+length)} of a larger array
     * (a Kafka fetch buffer, read without copying): the view reads its payload from there.
     */
    public static ChunkView view(byte[] record, int offset, int length) {
        if (record != null) {
            Objects.checkFromIndexSize(offset, length, record.length);
        }
        Header h = verifiedHeader(record, offset, length);
        return new ChunkView(h.meta(decodeSender(record, offset, h.senderLength)), h.chunkIndex, h.chunkCount,
                h.totalElements, h.elementOffset, h.elementCount, record, h.payloadAt);
    }

    /**
     * As {@link #view(byte[])} for the remaining bytes of {@code record}, without copying them when the buffer is
     * backed by an array (Kafka's ByteBufferDeserializer hands out slices of the fetched data); the buffer's
     * position is left alone.
     */
    public static ChunkView view(ByteBuffer record) {
        if (record == null) {
            return view(null, 0, 0);
        }
        if (record.hasArray()) {
            return view(record.array(), record.arrayOffset() + record.position(), record.remaining());
        }
        byte[] copy = new byte[record.remaining()];
        record.duplicate().get(copy);
        return view(copy);
    }

    static void copyPayload(byte[] record, Header h, float[] dest, int destOffset) {
        copyPayload(record, h.codec, h.payloadAt, h.elementCount, dest, destOffset);
    }

    static void copyPayload(byte[] record, Codec codec, int payloadAt, int count, float[] dest, int destOffset) {
        Quantization.read(codec, record, payloadAt, count, dest, destOffset);
    }

    private static Header verifiedHeader(byte[] record, int base, int length) {
        Header h = readHeader(record, base, length);
        int crcAt = base + length - 4;
        int stored = ByteBuffer.wrap(record).getInt(crcAt);
        CRC32C crc = new CRC32C();
        crc.update(record, base, length - 4);
        int computed = (int) crc.getValue();
        if (stored != computed) {
            throw new CorruptChunkException(String.format("CRC32C mismatch: stored 0x%08x, computed 0x%08x",
                    stored, computed));
        }
        h.checkConsistent();
        Quantization.check(h.codec, record, h.payloadAt, h.elementCount);
        return h;
    }

    /** Reads the shared part of the header only: no payload decoding, no CRC check. */
    public static ChunkMeta peekMeta(byte[] record) {
        Header h = readHeader(record, 0, record == null ? 0 : record.length);
        if (h.sampleCount < 0) {
            throw new CorruptChunkException("negative sampleCount " + h.sampleCount);
        }
        return h.meta(decodeSender(record, 0, h.senderLength));
    }

    /** Rounds a float to bfloat16 (nearest, ties to even); NaN stays a (quiet) NaN of the same sign. */
    public static int toBf16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return ((bits >>> 16) | 0x0040) & 0xffff;
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);
        return ((bits + roundingBias) >>> 16) & 0xffff;
    }

    public static float fromBf16Bits(int bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    /** The value a float takes after a BF16 round trip. */
    public static float roundToBf16(float f) {
        return fromBf16Bits(toBf16Bits(f));
    }

    private static byte[] senderBytes(String sender) {
        byte[] b = sender.getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX_SENDER_BYTES) {
            throw new IllegalArgumentException("sender '" + sender + "' is longer than " + MAX_SENDER_BYTES
                    + " bytes of UTF-8");
        }
        return b;
    }

    private static String decodeSender(byte[] record, int base, int length) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(record, base + SENDER_AT, length));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new CorruptChunkException("sender is not valid UTF-8");
        }
    }

    /** Parses and bounds-checks the header; throws {@link CorruptChunkException} on anything inconsistent. */
    private static Header readHeader(byte[] record, int base, int length) {
        if (record == null) {
            throw new CorruptChunkException("no record (null)");
        }
        if (length < 4) {
            throw new CorruptChunkException("truncated: " + length + " bytes, a chunk has at least "
                    + MIN_RECORD);
        }
        ByteBuffer b = ByteBuffer.wrap(record, base, length).slice(); // big-endian, indexed from the record's start
        int magic = b.getInt(0);
        if (magic != MAGIC) {
            throw new CorruptChunkException(String.format("bad magic 0x%08x, expected 0x%08x", magic, MAGIC));
        }
        if (length < MIN_RECORD) {
            throw new CorruptChunkException("truncated: " + length + " bytes, a chunk has at least "
                    + MIN_RECORD);
        }
        int version = record[base + 4];
        if (version != VERSION) {
            throw new CorruptChunkException("unsupported version " + version + ", this codec reads version "
                    + VERSION);
        }
        Codec codec = Codec.ofWire(record[base + 5]);
        if (codec == null) {
            throw new CorruptChunkException("unknown codec byte " + record[base + 5]);
        }
        int senderLength = b.getShort(SENDER_LENGTH_AT);
        if (senderLength < 0 || senderLength > MAX_SENDER_BYTES) {
            throw new CorruptChunkException("sender length " + senderLength + " outside 0.." + MAX_SENDER_BYTES);
        }
        if (length < MIN_RECORD + senderLength) {
            throw new CorruptChunkException("truncated: " + length + " bytes, the header alone needs "
                    + (MIN_RECORD + senderLength));
        }
        int at = SENDER_AT + senderLength;
        Header h = new Header();
        h.codec = codec;
        h.senderLength = senderLength;
        h.jobMost = b.getLong(6);
        h.jobLeast = b.getLong(14);
        h.round = b.getLong(22);
        h.planVersion = b.getInt(30);
        h.sampleCount = b.getInt(at);
        h.chunkIndex = b.getInt(at + 4);
        h.chunkCount = b.getInt(at + 8);
        h.totalElements = b.getLong(at + 12);
        h.elementOffset = b.getLong(at + 20);
        h.elementCount = b.getInt(at + 28);
        h.payloadAt = base + at + 32;
        if (h.elementCount < 0) {
            throw new CorruptChunkException("negative element count " + h.elementCount);
        }
        long expected = (long) at + 32 + codec.payloadBytes(h.elementCount) + 4;
        if (length < expected) {
            throw new CorruptChunkException("truncated: " + length + " bytes, the header announces "
                    + expected);
        }
        if (length > expected) {
            throw new CorruptChunkException("trailing bytes: " + length + " bytes, the header announces "
                    + expected);
        }
        return h;
    }

    private static final class Header {
        Codec codec;
        int senderLength;
        long jobMost;
        long jobLeast;
        long round;
        int planVersion;
        int sampleCount;
        int chunkIndex;
        int chunkCount;
        long totalElements;
        long elementOffset;
        int elementCount;
        int payloadAt;

        /** Checks that survive a good CRC only if the encoder was broken; cheap, so always run. */
        void checkConsistent() {
            if (sampleCount < 0) {
                throw new CorruptChunkException("negative sampleCount " + sampleCount);
            }
            if (chunkCount < 1 || chunkIndex < 0 || chunkIndex >= chunkCount) {
                throw new CorruptChunkException("chunk index " + chunkIndex + " outside 0.." + (chunkCount - 1));
            }
            if (totalElements < 0 || elementOffset < 0 || elementOffset > totalElements - elementCount) {
                throw new CorruptChunkException("elements " + elementOffset + "+" + elementCount
                        + " outside a tensor of " + totalElements);
            }
        }

        ChunkMeta meta(String sender) {
            return new ChunkMeta(new UUID(jobMost, jobLeast), round, planVersion, sender, sampleCount, codec);
        }
    }
}
