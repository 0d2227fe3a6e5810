package io.crosstrain.bench.relay;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.GradientHeaders;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;

/**
 * What the node senders of the relay bench send: one job in one datacenter, {@code senders} nodes, each streaming a
 * FP32 gradient of {@code chunksPerSender} full chunks per round. Values are a pure function of (seed, sender,
 * round, element), so the expected average of any round can be recomputed after the run instead of being kept.
 */
public final class GradientWorkload {

    public static final String DATACENTER = "bench";

    /** 10^-3 .. 10^4: values of very different magnitudes, so a changed summation order changes bits. */
    private static final float[] SCALES = {1e-3f, 1e-2f, 1e-1f, 1f, 1e1f, 1e2f, 1e3f, 1e4f};

    private final UUID jobId;
    private final int senders;
    private final int chunksPerSender;
    private final int elements;
    private final long seed;

    public GradientWorkload(UUID jobId, int senders, int chunksPerSender, long seed) {
        if (senders < 1 || chunksPerSender < 1) {
            throw new IllegalArgumentException("need at least one sender and one chunk");
        }
        this.jobId = jobId;
        this.senders = senders;
        this.chunksPerSender = chunksPerSender;
        this.elements = Math.multiplyExact(chunksPerSender, TensorCodec.elementsPerChunk(Codec.FP32, null));
        this.seed = seed;
    }

    /** One record a sender produces to grad-up. */
    public record Up(String key, byte[] value) {
    }

    public UUID jobId() {
        return jobId;
    }

    public int senders() {
        return senders;
    }

    public int chunksPerSender() {
        return chunksPerSender;
    }

    public int elements() {
        return elements;
    }

    public static String sender(int s) {
        return "node-" + s;
    }

    /** Samples of sender {@code s}: unequal on purpose, so a weight mix-up shows in the average. */
    public static int batch(int s) {
        return 5 + 3 * s;
    }

    public int globalBatch() {
        int g = 0;
        for (int s = 0; s < senders; s++) {
            g += batch(s);
        }
        return g;
    }

    /** Bytes of one grad-up record of sender {@code s} (all chunks are full). */
    public int recordBytes(int s) {
        return TensorCodec.encodedSize(Codec.FP32, sender(s), TensorCodec.elementsPerChunk(Codec.FP32, null));
    }

    /** grad-up bytes of one round, all senders. */
    public long upBytesPerRound() {
        long b = 0;
        for (int s = 0; s < senders; s++) {
            b += (long) recordBytes(s) * chunksPerSender;
        }
        return b;
    }

    /** A measured-mode plan (no emulation, so no ready-at pacing) whose only datacenter is {@link #DATACENTER}. */
    public Plan plan() {
        List<PlanDevice> devices = new ArrayList<>();
        for (int s = 0; s < senders; s++) {
            // one device per node: the node is the relay's contributor
            devices.add(new PlanDevice("dev-" + s, sender(s), DATACENTER, "CPU", s, batch(s), 1, 0, 0));
        }
        return new Plan(jobId, 1, "sync-dp", "balanced", Plan.MEASURED, null, ModelSpec.demo(),
                DatasetSpec.bundled(), Integer.MAX_VALUE, globalBatch(), 1e-3, seed, 10, List.of(DATACENTER),
                devices, null);
    }

    /** The gradient sender {@code s} sends in {@code round} (already weighted by its batch, as a node's sum is). */
    public float[] gradient(int s, long round) {
        float[] v = new float[elements];
        long base = mix(seed * 0x9E3779B97F4A7C15L + round * 0xC2B2AE3D27D4EB4FL + s * 0x165667B19E3779F9L);
        for (int i = 0; i < v.length; i++) {
            long z = mix(base + i * 0x9E3779B97F4A7C15L);
            // 24 random bits as a value in [-1, 1), times a random power of ten
            float unit = (float) ((z >>> 40) - (1 << 23)) / (1 << 23);
            v[i] = unit * SCALES[(int) (z & 7)];
        }
        return v;
    }

    /**
     * The records of sender {@code s} for rounds {@code firstRound .. firstRound+rounds-1}, in send order (round by
     * round, chunk by chunk).
     */
    public List<Up> encode(int s, long firstRound, int rounds) {
        List<Up> out = new ArrayList<>(rounds * chunksPerSender);
        for (long r = firstRound; r < firstRound + rounds; r++) {
            List<byte[]> chunks = TensorCodec.encode(
                    new ChunkMeta(jobId, r, 1, sender(s), batch(s), Codec.FP32), gradient(s, r));
            for (int c = 0; c < chunks.size(); c++) {
                out.add(new Up(GradientHeaders.upKey(jobId, r, sender(s), c), chunks.get(c)));
            }
        }
        return out;
    }

    /**
     * The average the relay must send down for a round: contributions summed in rank order in float32, then divided
     * by the global batch (the relay's documented order; with one datacenter the cross-DC sum is that partial).
     */
    public float[] expectedAverage(long round) {
        float[] acc = gradient(0, round);
        for (int s = 1; s < senders; s++) {
            float[] g = gradient(s, round);
            for (int i = 0; i < acc.length; i++) {
                acc[i] += g[i];
            }
        }
        float g = globalBatch();
        for (int i = 0; i < acc.length; i++) {
            acc[i] = acc[i] / g;
        }
        return acc;
    }

    /** SplitMix64's finaliser. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
