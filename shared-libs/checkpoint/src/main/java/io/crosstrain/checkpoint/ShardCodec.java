package io.crosstrain.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The binary shard format:
 * <pre>
 * 8 bytes   magic "CTSHARD1"
 * 24 bytes  big-endian: offset (long), count (int), updates (int), flags (int; bit 0 = outer state),
 *           outerSteps (int)
 * then      count float32 each, little-endian: weights, means, variances[, outerGlobal, outerVelocity]
 * </pre>
 * Floats are little-endian because that is how every tensor runtime lays them out in memory; the header is
 * big-endian like the rest of our wire formats.
 */
public final class ShardCodec {

    public static final byte[] MAGIC = "CTSHARD1".getBytes(StandardCharsets.US_ASCII);
    public static final int HEADER_BYTES = MAGIC.length + 8 + 4 * 4;
    public static final int FLAG_OUTER = 1;

    /** Largest array a Java byte[] holds with some headroom, as the JDK's own collections assume. */
    private static final long MAX_ENCODED = Integer.MAX_VALUE - 8;
    private static final int CHUNK_FLOATS = 16 * 1024;

    private ShardCodec() {
    }

    /** Encoded size of a shard of {@code count} elements. */
    public static long encodedSize(int count, boolean outer) {
        return HEADER_BYTES + (long) count * Float.BYTES * (outer ? 5 : 3);
    }

    public static byte[] encode(ShardState state) {
        long size = checkedSize(state);
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) size);
        try {
            encode(state, out);
        } catch (IOException impossible) {
            throw new UncheckedIOException(impossible);
        }
        return out.toByteArray();
    }

    public static void encode(ShardState state, OutputStream out) throws IOException {
        checkedSize(state);
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.BIG_ENDIAN);
        header.put(MAGIC)
                .putLong(state.offset())
                .putInt(state.count())
                .putInt(state.updates())
                .putInt(state.hasOuter() ? FLAG_OUTER : 0)
                .putInt(state.outerSteps());
        out.write(header.array());
        // a bounded buffer, so encoding to a stream never needs a second copy of the whole shard
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK_FLOATS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] array : arrays(state)) {
            for (int from = 0; from < array.length; from += CHUNK_FLOATS) {
                int n = Math.min(CHUNK_FLOATS, array.length - from);
                chunk.clear();
                chunk.asFloatBuffer().put(array, from, n);
                out.write(chunk.array(), 0, n * Float.BYTES);
            }
        }
    }

    public static ShardState decode(byte[] bytes) {
        if (bytes.length < HEADER_BYTES) {
            throw new IllegalArgumentException("not a shard: " + bytes.length + " bytes, shorter than the "
                    + HEADER_BYTES + "-byte header");
        }
        if (!Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IllegalArgumentException("not a shard: bad magic "
                    + HexFormat.of().formatHex(bytes, 0, MAGIC.length) + ", expected \"CTSHARD1\"");
        }
        ByteBuffer header = ByteBuffer.wrap(bytes, MAGIC.length, HEADER_BYTES - MAGIC.length)
                .order(ByteOrder.BIG_ENDIAN);
        long offset = header.getLong();
        int count = header.getInt();
        int updates = header.getInt();
        int flags = header.getInt();
        int outerSteps = header.getInt();
        if (offset < 0 || count < 0) {
            throw new IllegalArgumentException("corrupt shard header: offset " + offset + ", count " + count);
        }
        if ((flags & ~FLAG_OUTER) != 0) {
            throw new IllegalArgumentException("shard has unknown flags 0x" + Integer.toHexString(flags));
        }
        boolean outer = (flags & FLAG_OUTER) != 0;
        long expected = encodedSize(count, outer);
        if (bytes.length != expected) {
            throw new IllegalArgumentException("shard of " + count + " elements" + (outer ? " with outer state" : "")
                    + " must be " + expected + " bytes, got " + bytes.length
                    + (bytes.length < expected ? " (truncated)" : " (trailing data)"));
        }
        FloatBuffer floats = ByteBuffer.wrap(bytes, HEADER_BYTES, bytes.length - HEADER_BYTES)
                .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] weights = next(floats, count);
        float[] means = next(floats, count);
        float[] variances = next(floats, count);
        float[] outerGlobal = outer ? next(floats, count) : null;
        float[] outerVelocity = outer ? next(floats, count) : null;
        return new ShardState(offset, updates, weights, means, variances, outerGlobal, outerVelocity, outerSteps);
    }

    /** Lower-case hex SHA-256, as manifests record it. */
    public static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JRE has SHA-256", e);
        }
    }

    private static float[] next(FloatBuffer floats, int count) {
        float[] a = new float[count];
        floats.get(a);
        return a;
    }

    /** The arrays in stored order: weights, means, variances[, outerGlobal, outerVelocity]. */
    static float[][] arrays(ShardState s) {
        return s.hasOuter()
                ? new float[][] {s.weights(), s.means(), s.variances(), s.outerGlobal(), s.outerVelocity()}
                : new float[][] {s.weights(), s.means(), s.variances()};
    }

    private static long checkedSize(ShardState s) {
        if (s.weights() == null || s.means() == null || s.variances() == null) {
            throw new IllegalArgumentException("shard needs weights, means and variances");
        }
        if ((s.outerGlobal() == null) != (s.outerVelocity() == null)) {
            throw new IllegalArgumentException("outer state needs both outerGlobal and outerVelocity");
        }
        if (s.offset() < 0) {
            throw new IllegalArgumentException("shard offset " + s.offset() + " is negative");
        }
        for (float[] a : arrays(s)) {
            if (a.length != s.count()) {
                throw new IllegalArgumentException("shard arrays differ in length: " + a.length + " vs " + s.count()
                        + " weights");
            }
        }
        long size = encodedSize(s.count(), s.hasOuter());
        if (size > MAX_ENCODED) {
            throw new IllegalArgumentException("shard of " + s.count() + " elements is too large (" + size
                    + " bytes) for one object; split it");
        }
        return size;
    }
}
