package io.crosstrain.relay.domain;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.relay.domain.RoundAggregator.Output;
import io.crosstrain.relay.domain.RoundAggregator.Rejection;

/** Plans, gradients and a recording sink for the aggregator tests. */
final class Fixtures {

    private Fixtures() {
    }

    static PlanDevice device(String id, String dc, int rank, int batch) {
        // one device per node, named like the device, so the device ids are the contributors
        return new PlanDevice(id, id, dc, "A100-80G", rank, batch, 1, 100.0, 0.1);
    }

    static Plan plan(UUID job, int version, List<String> dcs, List<PlanDevice> devices) {
        int g = devices.stream().mapToInt(PlanDevice::batch).sum();
        return new Plan(job, version, "sync-dp", "balanced", Plan.EMULATED, 1.0, ModelSpec.demo(),
                DatasetSpec.bundled(), 100, g, 1e-3, 7L, 10, dcs, devices, null);
    }

    /** A DiLoCo plan: inner rounds stay in each datacenter, outer rounds every {@code h} steps with {@code codec}. */
    static Plan diloco(UUID job, int version, List<String> dcs, List<PlanDevice> devices, int h, String codec,
                       List<io.crosstrain.contracts.WanLink> links) {
        int g = devices.stream().mapToInt(PlanDevice::batch).sum();
        return new Plan(job, version, "diloco", "balanced", Plan.EMULATED, 0.5, ModelSpec.demo(),
                DatasetSpec.bundled(), 100, g, 1e-3, 7L, 10, dcs, devices, null, 1, "first plan", false,
                new io.crosstrain.contracts.SyncSpec(h, codec, 0.7, 0.9), links);
    }

    /** Gradient-like values of very different magnitudes, so float addition order shows in the result. */
    static float[] gradient(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * POWERS_OF_TEN[r.nextInt(7)]);
        }
        return v;
    }

    /** 10^-3 .. 10^3, computed once: Math.pow per element dominated the property tests' run time. */
    private static final double[] POWERS_OF_TEN = java.util.stream.IntStream.rangeClosed(-3, 3)
            .mapToDouble(k -> Math.pow(10, k)).toArray();

    static List<byte[]> chunks(UUID job, long round, int planVersion, String sender, int samples, float[] values) {
        return TensorCodec.encode(new ChunkMeta(job, round, planVersion, sender, samples, Codec.FP32), values);
    }

    /** A keyed record of one contribution's chunk, as a worker or relay would send it. */
    record Rec(String key, byte[] value) {
        static List<Rec> of(List<byte[]> records) {
            List<Rec> out = new ArrayList<>();
            for (byte[] r : records) {
                Chunk c = TensorCodec.decode(r);
                out.add(new Rec(c.meta().jobId() + ":" + c.meta().round() + ":" + c.meta().sender() + ":"
                        + c.chunkIndex(), r));
            }
            return out;
        }
    }

    record Dead(String key, Rejection reason, String message) {
    }

    static final class Recorder implements RoundAggregator.Sink<String> {
        final List<Output> outputs = new ArrayList<>();
        final List<String> duplicates = new ArrayList<>();
        final List<Dead> dead = new ArrayList<>();
        /** The bytes each dead letter carries, in the order of {@link #dead}. */
        final List<byte[]> deadValues = new ArrayList<>();
        final List<String> buffered = new ArrayList<>();
        final List<String> ignored = new ArrayList<>();
        int abandoned;
        final List<io.crosstrain.contracts.RoundLedgerEntry> ledger = new ArrayList<>();

        @Override
        public void roundClosed(io.crosstrain.contracts.RoundLedgerEntry entry) {
            ledger.add(entry);
        }

        /** Latencies of committed rounds, in the order they committed. */
        final List<Long> latencies = new ArrayList<>();
        /** WAN contributions received, as "from:bytes". */
        final List<String> wan = new ArrayList<>();

        @Override
        public void roundCommitted(io.crosstrain.contracts.RoundLedgerEntry entry, long latencyMs) {
            latencies.add(latencyMs);
        }

        @Override
        public void wanReceived(String fromDatacenter, long bytes) {
            wan.add(fromDatacenter + ":" + bytes);
        }

        @Override
        public void publish(Output output) {
            outputs.add(output);
        }

        @Override
        public void duplicate(String key, String origin) {
            duplicates.add(key);
        }

        @Override
        public void deadLetter(String key, byte[] value, String origin, Rejection reason, String message) {
            dead.add(new Dead(key, reason, message));
            deadValues.add(value);
        }

        @Override
        public void buffered(String key, String origin) {
            buffered.add(key);
        }

        @Override
        public void ignored(String key, String origin) {
            ignored.add(key);
        }

        @Override
        public void abandoned(UUID jobId, int planVersion, int chunks) {
            abandoned += chunks;
        }
    }

    static void offer(RoundAggregator<String> a, Rec r) {
        a.offer(r.key(), r.value(), r.key());
    }
}
