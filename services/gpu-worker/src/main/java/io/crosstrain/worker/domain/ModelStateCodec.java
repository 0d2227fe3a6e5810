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
    /** DiLoCo: the global weights and outer momentum after an outer round (the round's committed result). */
    static final String OUTER_GLOBAL = "state-outer-global";
    static final String OUTER_VELOCITY = "state-outer-velocity";

    public record Record(String key, byte[] value) {
    }

    /** DiLoCo's outer state: global weights, outer momentum and outer steps taken. */
    public record OuterState(float[] global, float[] velocity, int steps) {
    }

    /** What a replica resumes from: its trainer's state, plus the outer state under DiLoCo (else null). */
    public record Snapshot(DeviceTrainer.State trainer, OuterState outer) {
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

    /** As {@link #encode(UUID, int, long, DeviceTrainer.State)}, with DiLoCo's outer state. */
    public static List<Record> encode(UUID jobId, int planVersion, long round, DeviceTrainer.State state,
                                      OuterState outer) {
        List<Record> out = encode(jobId, planVersion, round, state);
        if (outer != null) {
            add(out, jobId, planVersion, round, outer.steps(), OUTER_GLOBAL, outer.global());
            add(out, jobId, planVersion, round, outer.steps(), OUTER_VELOCITY, outer.velocity());
        }
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
        private final TensorAssembler outerGlobal = new TensorAssembler();
        private final TensorAssembler outerVelocity = new TensorAssembler();
        private final boolean wantOuter;
        private int updates = -1;
        private int outerSteps = -1;

        public Assembler(UUID jobId, long round) {
            this(jobId, round, false);
        }

        /** @param wantOuter complete only with DiLoCo's outer state too */
        public Assembler(UUID jobId, long round, boolean wantOuter) {
            this.jobId = jobId;
            this.round = round;
            this.wantOuter = wantOuter;
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
                case OUTER_GLOBAL -> outerGlobal;
                case OUTER_VELOCITY -> outerVelocity;
                default -> null;
            };
            if (target == null) {
                return false;
            }
            if (target == outerGlobal || target == outerVelocity) {
                outerSteps = m.sampleCount();
            } else {
                updates = m.sampleCount();
            }
            return target.accept(chunk);
        }

        public boolean complete() {
            return weights.complete() && means.complete() && variances.complete()
                    && (!wantOuter || outerGlobal.complete() && outerVelocity.complete());
        }

        public Snapshot snapshot() {
            DeviceTrainer.State s = state();
            OuterState outer = outerGlobal.complete() && outerVelocity.complete()
                    ? new OuterState(outerGlobal.values(), outerVelocity.values(), outerSteps) : null;
            return new Snapshot(s, outer);
        }

        public DeviceTrainer.State state() {
            if (!complete()) {
                throw new IllegalStateException("state of job " + jobId + " after round " + round + " is incomplete");
            }
            return new DeviceTrainer.State(updates, weights.values(), means.values(), variances.values());
        }
    }
}
