package io.crosstrain.worker.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.CorruptChunkException;
import io.crosstrain.codec.TensorAssembler;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.training.DeviceTrainer;

/**
 * A replica's state (weights, AdamW moments, update count) as records of the compacted {@code crosstrain.model-state}
 * topic, so a device joining a running job, or one whose parameter range changed, starts exactly where the others
 * are. Each vector travels as CRC-checked tensor chunks; the chunk header carries the plan version the state is for,
 * the round it was taken after, and (as sample count) the update count.
 *
 * <p>The whole state is keyed {@code jobId:vector:chunk} with the vector's name as sender. The state of a part of the
 * flat vector (a pipeline stage's) names its range in the sender, {@code vector@offset+count}, and is keyed
 * {@code jobId:vector@offset+count:chunk}, so compaction keeps every range. A whole-state record is range
 * {@code [0, total)}; a {@link RangeAssembler} puts any wanted range together from whatever ranges arrive.
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

    /**
     * The state of elements {@code [offset, offset + state.weights().length)} of a flat vector of {@code total}:
     * ranged records, or whole-state ones when the range is the whole vector (so whole-state readers find it too).
     */
    public static List<Record> encodeRange(UUID jobId, int planVersion, long round, long offset, long total,
                                           DeviceTrainer.State state, OuterState outer) {
        int count = state.weights().length;
        if (offset < 0 || offset + count > total) {
            throw new IllegalArgumentException("range " + offset + "+" + count + " outside a vector of " + total);
        }
        if (offset == 0 && count == total) {
            return encode(jobId, planVersion, round, state, outer);
        }
        String range = "@" + offset + "+" + count;
        List<Record> out = new ArrayList<>();
        add(out, jobId, planVersion, round, state.updates(), WEIGHTS + range, state.weights());
        add(out, jobId, planVersion, round, state.updates(), MEANS + range, state.means());
        add(out, jobId, planVersion, round, state.updates(), VARIANCES + range, state.variances());
        if (outer != null) {
            add(out, jobId, planVersion, round, outer.steps(), OUTER_GLOBAL + range, outer.global());
            add(out, jobId, planVersion, round, outer.steps(), OUTER_VELOCITY + range, outer.velocity());
        }
        return out;
    }

    private static void add(List<Record> out, UUID jobId, int planVersion, long round, int updates, String sender,
                            float[] values) {
        List<byte[]> chunks = TensorCodec.encode(new ChunkMeta(jobId, round, planVersion, sender, updates,
                Codec.FP32), values);
        for (int i = 0; i < chunks.size(); i++) {
            out.add(new Record(jobId + ":" + sender + ":" + i, chunks.get(i)));
        }
    }

    /** Elements {@code [offset, offset + count)} of a whole state (copies). */
    public static Snapshot slice(Snapshot whole, long offset, int count) {
        DeviceTrainer.State s = whole.trainer();
        DeviceTrainer.State trainer = new DeviceTrainer.State(s.updates(), cut(s.weights(), offset, count),
                cut(s.means(), offset, count), cut(s.variances(), offset, count));
        OuterState o = whole.outer();
        return new Snapshot(trainer, o == null ? null
                : new OuterState(cut(o.global(), offset, count), cut(o.velocity(), offset, count), o.steps()));
    }

    private static float[] cut(float[] values, long offset, int count) {
        if (offset < 0 || offset + count > values.length) {
            throw new IllegalArgumentException("range " + offset + "+" + count + " outside a vector of "
                    + values.length);
        }
        return java.util.Arrays.copyOfRange(values, (int) offset, (int) offset + count);
    }

    /** The record's chunk when it is an intact chunk of this job's state after {@code round}; else null. */
    private static Chunk chunkOf(byte[] value, UUID jobId, long round) {
        Chunk chunk;
        try {
            chunk = TensorCodec.decode(value);
        } catch (CorruptChunkException e) {
            return null;
        }
        ChunkMeta m = chunk.meta();
        return m.jobId().equals(jobId) && m.round() == round ? chunk : null;
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
            Chunk chunk = chunkOf(value, jobId, round);
            if (chunk == null) {
                return false;
            }
            ChunkMeta m = chunk.meta();
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

    /**
     * Puts the state of elements {@code [offset, offset + count)} of the flat vector together from any ranges of one
     * job's state after one round: whole-state records, ranged ones, and pieces a node holds itself ({@link #offer}).
     * Replicas hold the same state, so overlapping ranges agree and any completely received range covering an element
     * serves. Complete once, for every vector it needs, such ranges cover the wanted one. As with {@link Assembler},
     * the plan version is not matched. A claim-check pointer ({@link StateClaimCheck.Ref}) is resolved from the store
     * when it meets the wanted range, and passed over when its shard is missing or fails its hash.
     */
    public static final class RangeAssembler {
        private static final List<String> TRAINER = List.of(WEIGHTS, MEANS, VARIANCES);
        private static final List<String> OUTER = List.of(OUTER_GLOBAL, OUTER_VELOCITY);

        /** One vector's range, from chunks or given whole; {@code counter} is the update (or outer step) count. */
        private static final class Piece {
            final String kind;
            final long offset;
            final int count;
            final int counter;
            final TensorAssembler chunks = new TensorAssembler();
            float[] given;

            Piece(String kind, long offset, int count, int counter) {
                this.kind = kind;
                this.offset = offset;
                this.count = count;
                this.counter = counter;
            }

            boolean complete() {
                return given != null || chunks.complete();
            }

            float[] values() {
                return given != null ? given : chunks.values();
            }
        }

        private final UUID jobId;
        private final long round;
        private final long offset;
        private final int count;
        private final boolean wantOuter;
        /** Resolves claim-check pointers; null passes them over. */
        private final StateClaimCheck claims;
        /** By sender: vector and range. */
        private final Map<String, Piece> pieces = new HashMap<>();

        /** @param wantOuter complete only with DiLoCo's outer state of the range too */
        public RangeAssembler(UUID jobId, long round, long offset, int count, boolean wantOuter) {
            this(jobId, round, offset, count, wantOuter, null);
        }

        /** @param claims resolves pointers to state held in the store (null: they are passed over) */
        public RangeAssembler(UUID jobId, long round, long offset, int count, boolean wantOuter,
                              StateClaimCheck claims) {
            this.claims = claims;
            if (offset < 0 || count <= 0) {
                throw new IllegalArgumentException("no range " + offset + "+" + count);
            }
            this.jobId = jobId;
            this.round = round;
            this.offset = offset;
            this.count = count;
            this.wantOuter = wantOuter;
        }

        /** @return true when the record was a new chunk of some range of the wanted state (corrupt, foreign: false) */
        public boolean accept(byte[] value) {
            StateClaimCheck.Ref ref = StateClaimCheck.Ref.decode(value);
            if (ref != null) {
                return acceptRef(ref);
            }
            Chunk chunk = chunkOf(value, jobId, round);
            if (chunk == null) {
                return false;
            }
            ChunkMeta m = chunk.meta();
            String sender = m.sender();
            int at = sender.indexOf('@');
            String kind = at < 0 ? sender : sender.substring(0, at);
            if (!TRAINER.contains(kind) && !OUTER.contains(kind)) {
                return false;
            }
            long from = 0;
            long length = chunk.totalElements();
            if (at >= 0) {
                int plus = sender.indexOf('+', at);
                try {
                    from = Long.parseLong(sender.substring(at + 1, plus));
                    length = Long.parseLong(sender.substring(plus + 1));
                } catch (RuntimeException e) {
                    return false;
                }
            }
            if (from < 0 || length != chunk.totalElements() || length > Integer.MAX_VALUE) {
                return false; // a range whose size its chunks contradict
            }
            long start = from;
            int size = (int) length;
            Piece piece = pieces.computeIfAbsent(sender, k -> new Piece(kind, start, size, m.sampleCount()));
            if (piece.given != null || piece.counter != m.sampleCount()) {
                return false;
            }
            try {
                return piece.chunks.accept(chunk);
            } catch (IllegalArgumentException e) {
                return false; // chunks of another split of the same range
            }
        }

        /** A pointer of this job's state after this round that meets the wanted range: its shard, once. */
        private boolean acceptRef(StateClaimCheck.Ref ref) {
            if (claims == null || !ref.jobId().equals(jobId) || ref.round() != round
                    || ref.offset() >= offset + count || ref.offset() + ref.count() <= offset) {
                return false;
            }
            String source = "ref:" + ref.key();
            if (pieces.containsKey(source + ":" + WEIGHTS + "@" + ref.offset() + "+" + ref.count())) {
                return false;
            }
            Snapshot state = claims.resolveOrNull(ref);
            if (state == null) {
                return false;
            }
            put(source, ref.offset(), state);
            return true;
        }

        /** A range this node holds already: elements {@code [pieceOffset, pieceOffset + length)} (not copied). */
        public void offer(long pieceOffset, Snapshot piece) {
            put("local", pieceOffset, piece);
        }

        private void put(String source, long pieceOffset, Snapshot piece) {
            DeviceTrainer.State s = piece.trainer();
            give(source, WEIGHTS, pieceOffset, s.updates(), s.weights());
            give(source, MEANS, pieceOffset, s.updates(), s.means());
            give(source, VARIANCES, pieceOffset, s.updates(), s.variances());
            if (piece.outer() != null) {
                give(source, OUTER_GLOBAL, pieceOffset, piece.outer().steps(), piece.outer().global());
                give(source, OUTER_VELOCITY, pieceOffset, piece.outer().steps(), piece.outer().velocity());
            }
        }

        private void give(String source, String kind, long pieceOffset, int counter, float[] values) {
            Piece p = new Piece(kind, pieceOffset, values.length, counter);
            p.given = values;
            pieces.put(source + ":" + kind + "@" + pieceOffset + "+" + values.length, p);
        }

        public boolean complete() {
            return TRAINER.stream().allMatch(this::covered) && (!wantOuter || OUTER.stream().allMatch(this::covered));
        }

        /** The wanted range's state (fresh arrays); the outer state when it came, else null. */
        public Snapshot snapshot() {
            if (!complete()) {
                throw new IllegalStateException("state of job " + jobId + " after round " + round + " for elements "
                        + offset + "+" + count + " is incomplete");
            }
            DeviceTrainer.State trainer = new DeviceTrainer.State(counter(WEIGHTS), fill(WEIGHTS), fill(MEANS),
                    fill(VARIANCES));
            OuterState outer = OUTER.stream().allMatch(this::covered)
                    ? new OuterState(fill(OUTER_GLOBAL), fill(OUTER_VELOCITY), counter(OUTER_GLOBAL)) : null;
            return new Snapshot(trainer, outer);
        }

        /** Complete ranges of one vector that meet the wanted one, by offset. */
        private List<Piece> meeting(String kind) {
            long end = offset + count;
            return pieces.values().stream().filter(p -> p.kind.equals(kind) && p.complete()
                    && p.offset < end && p.offset + p.count > offset)
                    .sorted(Comparator.comparingLong((Piece p) -> p.offset).thenComparingInt(p -> p.count)).toList();
        }

        private boolean covered(String kind) {
            long reach = offset;
            for (Piece p : meeting(kind)) {
                if (p.offset > reach) {
                    return false; // a gap
                }
                reach = Math.max(reach, p.offset + p.count);
                if (reach >= offset + count) {
                    return true;
                }
            }
            return false;
        }

        private float[] fill(String kind) {
            float[] out = new float[count];
            for (Piece p : meeting(kind)) {
                long lo = Math.max(offset, p.offset);
                long hi = Math.min(offset + count, p.offset + p.count);
                System.arraycopy(p.values(), (int) (lo - p.offset), out, (int) (lo - offset), (int) (hi - lo));
            }
            return out;
        }

        private int counter(String kind) {
            return meeting(kind).get(0).counter;
        }
    }
}
