package io.crosstrain.worker.domain;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.CorruptChunkException;
import io.crosstrain.codec.TensorAssembler;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.training.DeviceTrainer;

/**
 * A replica's full state (weights, AdamW moments, update count) as records of the compacted
 * {@code crosstrain.model-state} topic, so a device joining a running job starts exactly where the others are.
 * Each of the three vectors travels as CRC-checked tensor chunks keyed {@code jobId:vector:chunk}; the chunk header
 * carries the plan version the state is for, the round it was taken after, and (as sample count) the update count.
 */
public final class ModelStateCodec {

    static final String WEIGHTS = "state-weights";
    static final String MEANS = "state-means";
    static final String VARIANCES = "state-variances";

    public record Record(String key, byte[] value) {
    }

    private ModelStateCodec() {
    }

    public static List<Record> encode(UUID jobId, int planVersion, long round, DeviceTrainer.State state) {
        List<Record> out = new ArrayList<>();
        add(out, jobId, planVersion, round, state.updates(), WEIGHTS, state.weights());
        add(out, jobId, planVersion, round, state.updates(), MEANS, state.means());
        add(out, jobId, planVersion, round, state.updates(), VARIANCES, state.variances());
        return out;
    }

    private static void add(List<Record> out, UUID jobId, int planVersion, long round, int updates, String kind,
                            float[] values) {
        List<byte[]> chunks = TensorCodec.encode(new ChunkMeta(jobId, round, planVersion, kind, updates, Codec.FP32),
                values);
        for (int i = 0; i < chunks.size(); i++) {
            out.add(new Record(jobId + ":" + kind + ":" + i, chunks.get(i)));
        }
    }

    /**
     * Collects the chunks of one job's state taken after one round; anything else is passed over. The state after a
     * round is the same whichever plan version asked for it (replicas are identical), so the version is not matched:
     * a joiner whose version was overtaken by a newer one before it started still finds the state.
     */
    public static final class Assembler {
        private final UUID jobId;
        private final long round;
        private final TensorAssembler weights = new TensorAssembler();
        private final TensorAssembler means = new TensorAssembler();
        private final TensorAssembler variances = new TensorAssembler();
        private int updates = -1;

        public Assembler(UUID jobId, long round) {
            this.jobId = jobId;
            this.round = round;
        }

        /** @return true when the record was a chunk of the wanted state (and not seen before) */
        public boolean accept(byte[] value) {
            Chunk chunk;
            try {
                chunk = TensorCodec.decode(value);
            } catch (CorruptChunkException e) {
                return false;
            }
            ChunkMeta m = chunk.meta();
            if (!m.jobId().equals(jobId) || m.round() != round) {
                return false;
            }
            TensorAssembler target = switch (m.sender()) {
                case WEIGHTS -> weights;
                case MEANS -> means;
                case VARIANCES -> variances;
                default -> null;
            };
            if (target == null) {
                return false;
            }
            updates = m.sampleCount();
            return target.accept(chunk);
        }

        public boolean complete() {
            return weights.complete() && means.complete() && variances.complete();
        }

        public DeviceTrainer.State state() {
            if (!complete()) {
                throw new IllegalStateException("state of job " + jobId + " after round " + round + " is incomplete");
            }
            return new DeviceTrainer.State(updates, weights.values(), means.values(), variances.values());
        }
    }
}
