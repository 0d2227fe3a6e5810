package io.crosstrain.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

class ShardCodecTest {

    @Test
    void roundTripsWithoutOuterState() {
        ShardState state = Fixtures.randomState(new SplittableRandom(1), 123_456_789_012L, 1000, false);
        byte[] bytes = ShardCodec.encode(state);
        assertThat(bytes).hasSize(32 + 1000 * 4 * 3);
        ShardState back = ShardCodec.decode(bytes);
        assertThat(back.hasOuter()).isFalse();
        Fixtures.assertBitIdentical(back, state);
    }

    @Test
    void roundTripsWithOuterState() {
        ShardState state = Fixtures.randomState(new SplittableRandom(2), 7, 777, true);
        byte[] bytes = ShardCodec.encode(state);
        assertThat(bytes).hasSize(32 + 777 * 4 * 5);
        ShardState back = ShardCodec.decode(bytes);
        assertThat(back.hasOuter()).isTrue();
        Fixtures.assertBitIdentical(back, state);
    }

    @Test
    void roundTripsSpecialValuesAndAnEmptyShard() {
        float[] special = {0f, -0f, Float.NaN, Float.intBitsToFloat(0x7fc0_1234), Float.POSITIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.MIN_VALUE, Float.MAX_VALUE};
        ShardState state = new ShardState(0, 0, special, special.clone(), special.clone(), null, null, 0);
        Fixtures.assertBitIdentical(ShardCodec.decode(ShardCodec.encode(state)), state);

        ShardState empty = new ShardState(5, 1, new float[0], new float[0], new float[0], new float[0],
                new float[0], 2);
        Fixtures.assertBitIdentical(ShardCodec.decode(ShardCodec.encode(empty)), empty);
    }

    @Test
    void layoutIsBigEndianHeaderThenLittleEndianFloats() {
        float[] w = {1.5f, -2f};
        ShardState state = new ShardState(0x0102030405L, 9, w, new float[2], new float[2], new float[2],
                new float[2], 4);
        byte[] bytes = ShardCodec.encode(state);
        assertThat(new String(bytes, 0, 8, StandardCharsets.US_ASCII)).isEqualTo("CTSHARD1");
        ByteBuffer header = ByteBuffer.wrap(bytes, 8, 24).order(ByteOrder.BIG_ENDIAN);
        assertThat(header.getLong()).isEqualTo(0x0102030405L);
        assertThat(header.getInt()).isEqualTo(2);
        assertThat(header.getInt()).isEqualTo(9);
        assertThat(header.getInt()).isEqualTo(ShardCodec.FLAG_OUTER);
        assertThat(header.getInt()).isEqualTo(4);
        // 1.5f = 0x3FC00000, least significant byte first
        assertThat(Arrays.copyOfRange(bytes, 32, 36)).containsExactly(0, 0, 0xC0, 0x3F);
        assertThat(ByteBuffer.wrap(bytes, 36, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat()).isEqualTo(-2f);
    }

    @Test
    void streamingEncodingMatches() throws IOException {
        ShardState state = Fixtures.randomState(new SplittableRandom(3), 0, 50_000, true);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ShardCodec.encode(state, out);
        assertThat(out.toByteArray()).isEqualTo(ShardCodec.encode(state));
    }

    @Test
    void rejectsBadMagic() {
        byte[] bytes = ShardCodec.encode(Fixtures.randomState(new SplittableRandom(4), 0, 10, false));
        bytes[7] = '2';
        assertThatThrownBy(() -> ShardCodec.decode(bytes))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad magic");
    }

    @Test
    void rejectsTruncatedAndOverlongData() {
        byte[] bytes = ShardCodec.encode(Fixtures.randomState(new SplittableRandom(5), 0, 10, true));
        assertThatThrownBy(() -> ShardCodec.decode(Arrays.copyOf(bytes, bytes.length - 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated")
                .hasMessageContaining(String.valueOf(bytes.length));
        assertThatThrownBy(() -> ShardCodec.decode(Arrays.copyOf(bytes, bytes.length + 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trailing");
        assertThatThrownBy(() -> ShardCodec.decode(Arrays.copyOf(bytes, 20)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("header");
    }

    @Test
    void rejectsUnknownFlagsAndNegativeCounts() {
        byte[] bytes = ShardCodec.encode(Fixtures.randomState(new SplittableRandom(6), 0, 3, false));
        byte[] flagged = bytes.clone();
        flagged[27] = 2; // lowest byte of flags
        assertThatThrownBy(() -> ShardCodec.decode(flagged)).hasMessageContaining("unknown flags");
        byte[] negative = bytes.clone();
        negative[16] = (byte) 0x80; // sign bit of count
        assertThatThrownBy(() -> ShardCodec.decode(negative)).hasMessageContaining("corrupt shard header");
    }

    @Test
    void refusesInconsistentStates() {
        float[] three = new float[3];
        assertThatThrownBy(() -> ShardCodec.encode(new ShardState(0, 0, three, new float[2], three, null, null, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("differ in length");
        assertThatThrownBy(() -> ShardCodec.encode(new ShardState(0, 0, three, three, three, three, null, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("both");
        assertThatThrownBy(() -> ShardCodec.encode(new ShardState(-1, 0, three, three, three, null, null, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    }

    @Test
    void sha256IsTheStandardDigest() {
        assertThat(ShardCodec.sha256Hex("abc".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
