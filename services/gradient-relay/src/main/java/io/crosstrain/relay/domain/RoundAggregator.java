package io.crosstrain.relay.domain;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.CorruptChunkException;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.GradientHeaders;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;

/**
 * Per-round chunk bookkeeping and summation of one relay stage.
 * <ul>
 * <li>{@link Stage#INTRA_DC}: contributions are the chunks of this datacenter's devices; once every device of the
 * plan delivered chunk {@code i} of a round, their sum (the DC partial) is emitted, weighted by the summed sample
 * counts.</li>
 * <li>{@link Stage#CROSS_DC}: contributions are the partials of every datacenter of the plan; once all delivered,
 * their sum divided by the total sample count (the global batch) is emitted.</li>
 * </ul>
 * Determinism: contributions are added in a fixed order (plan rank order, resp. {@code plan.datacenters()} order),
 * accumulating in float32: {@code s = ((c0 + c1) + c2) + ...}, element by element. Contributions that arrive early
 * wait until every lower-ordered one is folded in, so arrival order never changes a single bit of the result, and
 * every relay that sees the same partials computes the same average.
 * <p>
 * Exactly once: a contribution is identified by (job, plan version, round, chunk, sender). A second copy while the
 * chunk is open, or after it completed (a bounded memory of completed chunks is kept), is reported as duplicate and
 * ignored. Chunks of an older plan version are dead-lettered; chunks of a plan not seen yet (or a newer version)
 * are buffered, bounded in bytes, until the plan arrives. State of a chunk is freed the moment it is emitted.
 * <p>
 * Thread-safe: every public method is synchronized; the {@link Sink} is called while the lock is held, in
 * processing order.
 *
 * @param <R> what the caller attaches to an inbound record (e.g. the Kafka record, for dead letters)
 */
public final class RoundAggregator<R> {

    public enum Stage {
        INTRA_DC, CROSS_DC
    }

    /** Why a record was dead-lettered. */
    public enum Rejection {
        /** Not a valid chunk (bad magic, truncated, CRC mismatch ...). */
        CORRUPT,
        /** Built under an older plan version than the current one. */
        STALE_PLAN,
        /** The sender is not a contributor of this stage in the plan. */
        UNKNOWN_SENDER,
        /** Chunk layout (count, offset, size, codec) differs from the other contributions of the same chunk. */
        LAYOUT_MISMATCH,
        /** The record key does not name the chunk the record holds. */
        KEY_MISMATCH,
        /** Waited for its plan while the buffer was full. */
        BUFFER_OVERFLOW
    }

    /** Receives the outcomes. */
    public interface Sink<R> {
        /** A finished chunk, ready to publish. */
        void publish(Output output);

        /** A copy of a contribution already counted; it was ignored. */
        void duplicate(String key, R origin);

        void deadLetter(String key, byte[] value, R origin, Rejection reason, String message);

        /** The contribution waits for its plan. */
        default void buffered(String key, R origin) {
        }

        /** A valid chunk of a job this stage takes no part in (cross-DC stage of a datacenter outside the plan). */
        default void ignored(String key, R origin) {
        }

        /** Open chunks of an older plan version were dropped because a newer plan arrived. */
        default void abandoned(UUID jobId, int planVersion, int chunks) {
        }
    }

    /**
     * A finished chunk.
     *
     * @param key      Kafka key for it (wanKey for the intra-DC stage, downKey for the cross-DC one)
     * @param record   the encoded chunk
     * @param wanBytes cross-DC stage: bytes of other datacenters' partials consumed for this chunk; else 0
     * @param readyAtMs latest emulated "gradient ready" time of the contributions (epoch ms; 0 = not emulated):
     *                  devices apply the result no earlier, so an emulated round never ends before its slowest chip
     */
    public record Output(UUID jobId, long round, int chunkIndex, String key, byte[] record, long wanBytes,
                         long readyAtMs) {
    }

    public record Settings(int completedMemory, long maxBufferedBytes) {
        public Settings {
            if (completedMemory < 1 || maxBufferedBytes < 0) {
                throw new IllegalArgumentException("completedMemory ≥ 1 and maxBufferedBytes ≥ 0 required");
            }
        }
    }

    private record SlotId(UUID jobId, int planVersion, long round, int chunkIndex) {
    }

    private record Pending<R>(String key, byte[] value, R origin, UUID jobId, int planVersion, long readyAtMs) {
    }

    private final Stage stage;
    private final String datacenter;
    private final String downSender;
    private final Settings settings;
    private final Sink<R> sink;

    private final Map<UUID, JobPlans> plans = new HashMap<>();
    private final Map<SlotId, Slot> open = new HashMap<>();
    private final LinkedHashMap<SlotId, Boolean> completed;
    private final ArrayDeque<Pending<R>> buffer = new ArrayDeque<>();
    private long bufferedBytes;

    public RoundAggregator(Stage stage, String datacenter, Settings settings, Sink<R> sink) {
        this.stage = Objects.requireNonNull(stage);
        this.datacenter = Objects.requireNonNull(datacenter);
        this.downSender = relaySender(datacenter);
        this.settings = Objects.requireNonNull(settings);
        this.sink = Objects.requireNonNull(sink);
        int limit = settings.completedMemory();
        this.completed = new LinkedHashMap<>(Math.min(limit, 1 << 16), 0.75f) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<SlotId, Boolean> eldest) {
                return size() > limit;
            }
        };
    }

    /** The sender name a relay puts on the averaged chunks it sends down. */
    public static String relaySender(String datacenter) {
        return "relay-" + datacenter;
    }

    /**
     * Takes a plan. Only a newer version than the newest held is added. Older versions stay in effect for the rounds
     * before the new version's {@code startStep} (a rebalance announced ahead); their open chunks of later rounds are
     * dropped, and buffered contributions that now have their plan are processed.
     */
    public synchronized void onPlan(Plan plan) {
        Objects.requireNonNull(plan, "plan");
        JobPlans versions = plans.get(plan.jobId());
        if (versions != null && versions.latest().version >= plan.planVersion()) {
            return;
        }
        JobPlan added = new JobPlan(plan);
        if (versions == null) {
            versions = new JobPlans();
            plans.put(plan.jobId(), versions);
        }
        int previous = versions.isEmpty() ? -1 : versions.latest().version;
        versions.add(added);

        int dropped = 0;
        for (Iterator<SlotId> it = open.keySet().iterator(); it.hasNext(); ) {
            SlotId id = it.next();
            if (id.jobId().equals(plan.jobId()) && id.planVersion() < plan.planVersion()
                    && id.round() >= added.startStep) {
                it.remove();
                dropped++;
            }
        }
        if (dropped > 0) {
            sink.abandoned(plan.jobId(), previous, dropped);
        }

        List<Pending<R>> ready = new ArrayList<>();
        for (Iterator<Pending<R>> it = buffer.iterator(); it.hasNext(); ) {
            Pending<R> p = it.next();
            if (p.jobId().equals(plan.jobId()) && p.planVersion() <= plan.planVersion()) {
                it.remove();
                bufferedBytes -= p.value().length;
                ready.add(p);
            }
        }
        for (Pending<R> p : ready) { // in arrival order
            process(p.key(), p.value(), p.origin(), p.readyAtMs());
        }
    }

    /** Takes one inbound record: a chunk of a device (intra-DC stage) or a DC partial (cross-DC stage). */
    public synchronized void offer(String key, byte[] value, R origin) {
        process(key, value, origin, 0L);
    }

    /** @param readyAtMs when the contribution counts as ready under emulation (epoch ms; 0 = at once) */
    public synchronized void offer(String key, byte[] value, R origin, long readyAtMs) {
        process(key, value, origin, readyAtMs);
    }

    public synchronized int openChunks() {
        return open.size();
    }

    public synchronized int bufferedRecords() {
        return buffer.size();
    }

    public synchronized long bufferedBytes() {
        return bufferedBytes;
    }

    /**
     * Visits the origin of every contribution still held (in an open chunk or waiting for its plan): what a restarted
     * relay would have to read again. The caller uses it to commit consumer offsets no further than the oldest.
     */
    public synchronized void forEachHeld(Consumer<? super R> visitor) {
        for (Slot slot : open.values()) {
            for (Object o : slot.origins) {
                if (o != null) {
                    @SuppressWarnings("unchecked")
                    R origin = (R) o;
                    visitor.accept(origin);
                }
            }
        }
        for (Pending<R> p : buffer) {
            visitor.accept(p.origin());
        }
    }

    /** The plan version this stage works under for a job, or -1 when none arrived yet. */
    public synchronized int planVersion(UUID jobId) {
        JobPlans p = plans.get(jobId);
        return p == null ? -1 : p.latest().version;
    }

    private void process(String key, byte[] value, R origin, long readyAtMs) {
        Chunk chunk;
        try {
            chunk = TensorCodec.decode(value);
        } catch (CorruptChunkException e) {
            sink.deadLetter(key, value, origin, Rejection.CORRUPT, e.getMessage());
            return;
        }
        ChunkMeta meta = chunk.meta();
        // up and WAN keys share the layout job:round:sender:chunk
        if (key != null && !key.equals(GradientHeaders.upKey(meta.jobId(), meta.round(), meta.sender(),
                chunk.chunkIndex()))) {
            sink.deadLetter(key, value, origin, Rejection.KEY_MISMATCH, "record key " + key + " does not name "
                    + chunk);
            return;
        }
        SlotId id = new SlotId(meta.jobId(), meta.planVersion(), meta.round(), chunk.chunkIndex());
        if (completed.containsKey(id)) {
            sink.duplicate(key, origin);
            return;
        }
        JobPlans versions = plans.get(meta.jobId());
        if (versions == null || meta.planVersion() > versions.latest().version) {
            buffer(key, value, origin, meta, readyAtMs);
            return;
        }
        JobPlan plan = versions.inEffect(meta.planVersion(), meta.round());
        if (plan == null) {
            sink.deadLetter(key, value, origin, Rejection.STALE_PLAN, "chunk of plan version "
                    + meta.planVersion() + " for round " + meta.round() + ", but job " + meta.jobId()
                    + " runs that round under " + versions.describeFor(meta.round()));
            return;
        }
        if (!plan.participating) {
            sink.ignored(key, origin);
            return;
        }
        Integer position = plan.positions.get(meta.sender());
        if (position == null) {
            sink.deadLetter(key, value, origin, Rejection.UNKNOWN_SENDER, "sender " + meta.sender() + " is not "
                    + (stage == Stage.INTRA_DC ? "a node of datacenter " + datacenter : "a datacenter")
                    + " in plan version " + plan.version + " of job " + meta.jobId());
            return;
        }

        Slot slot = open.get(id);
        if (slot == null) {
            slot = new Slot(chunk, plan.contributors.size());
            open.put(id, slot);
        } else if (!slot.sameLayout(chunk)) {
            sink.deadLetter(key, value, origin, Rejection.LAYOUT_MISMATCH, chunk + " does not match the layout "
                    + slot.describe() + " of the other contributions");
            return;
        }
        if (slot.has(position)) {
            if (slot.output != null) {
                // it completed but publishing failed: a redelivery is the chance to try again
                emit(id, slot);
            } else {
                sink.duplicate(key, origin);
            }
            return;
        }
        boolean foreign = stage == Stage.CROSS_DC && !datacenter.equals(meta.sender());
        slot.add(position, chunk.values(), meta.sampleCount(), foreign ? value.length : 0, origin, readyAtMs);
        if (slot.complete()) {
            slot.output = finish(meta, chunk, slot);
            emit(id, slot);
        }
    }

    private void emit(SlotId id, Slot slot) {
        sink.publish(slot.output);
        open.remove(id);
        completed.put(id, Boolean.TRUE);
    }

    private void buffer(String key, byte[] value, R origin, ChunkMeta meta, long readyAtMs) {
        int size = value.length;
        if (size > settings.maxBufferedBytes()) {
            sink.deadLetter(key, value, origin, Rejection.BUFFER_OVERFLOW, "no plan version " + meta.planVersion()
                    + " of job " + meta.jobId() + " yet and the chunk exceeds the buffer");
            return;
        }
        while (bufferedBytes + size > settings.maxBufferedBytes()) {
            Pending<R> oldest = buffer.removeFirst();
            bufferedBytes -= oldest.value().length;
            sink.deadLetter(oldest.key(), oldest.value(), oldest.origin(), Rejection.BUFFER_OVERFLOW,
                    "plan version " + oldest.planVersion() + " of job " + oldest.jobId()
                            + " did not arrive before the buffer filled up");
        }
        buffer.addLast(new Pending<>(key, value, origin, meta.jobId(), meta.planVersion(), readyAtMs));
        bufferedBytes += size;
        sink.buffered(key, origin);
    }

    private Output finish(ChunkMeta meta, Chunk chunk, Slot slot) {
        float[] sum = slot.acc;
        long weight = slot.weight;
        if (weight > Integer.MAX_VALUE) {
            throw new IllegalStateException("sample count " + weight + " overflows");
        }
        String key;
        ChunkMeta out;
        if (stage == Stage.INTRA_DC) {
            out = new ChunkMeta(meta.jobId(), meta.round(), meta.planVersion(), datacenter, (int) weight,
                    meta.codec());
            key = GradientHeaders.wanKey(meta.jobId(), meta.round(), datacenter, chunk.chunkIndex());
        } else {
            // a round without samples has nothing to average: its (zero) sum goes out as is
            if (weight > 0) {
                float g = (float) weight;
                for (int i = 0; i < sum.length; i++) {
                    sum[i] = sum[i] / g;
                }
            }
            out = new ChunkMeta(meta.jobId(), meta.round(), meta.planVersion(), downSender, (int) weight,
                    meta.codec());
            key = GradientHeaders.downKey(meta.jobId(), meta.round(), chunk.chunkIndex());
        }
        byte[] record = TensorCodec.encodeChunk(out, chunk.chunkIndex(), chunk.chunkCount(), chunk.totalElements(),
                chunk.elementOffset(), sum, 0, sum.length);
        return new Output(meta.jobId(), meta.round(), chunk.chunkIndex(), key, record, slot.foreignBytes,
                slot.readyAtMs);
    }

    /** The versions of one job's plan still in effect for some round, oldest first (a few at most). */
    private final class JobPlans {
        static final int KEPT = 4;
        final ArrayDeque<JobPlan> versions = new ArrayDeque<>();

        boolean isEmpty() {
            return versions.isEmpty();
        }

        JobPlan latest() {
            return versions.getLast();
        }

        void add(JobPlan p) {
            versions.addLast(p);
            while (versions.size() > KEPT) {
                versions.removeFirst();
            }
        }

        /** The version a round runs under: the newest whose startStep is at or before it. */
        JobPlan forRound(long round) {
            JobPlan found = null;
            for (JobPlan p : versions) {
                if (found == null || p.startStep <= round) {
                    found = p;
                }
            }
            return found;
        }

        /** Version {@code version} when it is the one in effect for {@code round}, else null. */
        JobPlan inEffect(int version, long round) {
            JobPlan p = forRound(round);
            return p != null && p.version == version ? p : null;
        }

        String describeFor(long round) {
            JobPlan p = forRound(round);
            return "version " + p.version + " (from step " + p.startStep + ")";
        }
    }

    /** A plan as one stage sees it: who contributes, in which summation order. */
    private final class JobPlan {
        final int version;
        final long startStep;
        final List<String> contributors;
        final Map<String, Integer> positions = new HashMap<>();
        final boolean participating;

        JobPlan(Plan plan) {
            version = plan.planVersion();
            startStep = plan.startStep();
            if (stage == Stage.INTRA_DC) {
                List<PlanDevice> devices = plan.devices() == null ? List.of() : plan.devices();
                // one contribution per node: each gpu-worker reduces its own devices first (see NodeReducer)
                contributors = devices.stream()
                        .filter(d -> datacenter.equals(d.datacenter()))
                        .sorted(Comparator.comparingInt(PlanDevice::rank))
                        .map(PlanDevice::nodeId)
                        .distinct()
                        .toList();
                participating = !contributors.isEmpty();
            } else {
                contributors = plan.datacenters() == null ? List.of() : List.copyOf(plan.datacenters());
                participating = contributors.contains(datacenter);
            }
            for (int i = 0; i < contributors.size(); i++) {
                positions.putIfAbsent(contributors.get(i), i);
            }
        }
    }

    /** One (job, plan version, round, chunk) in progress. */
    private static final class Slot {
        final int chunkCount;
        final long totalElements;
        final long elementOffset;
        final int elementCount;
        final Codec codec;
        /** Contributions that arrived ahead of a lower-ordered one, by position. */
        final float[][] waiting;
        final boolean[] seen;
        /** Where each contribution came from, until the chunk is emitted. */
        final Object[] origins;
        float[] acc;
        int nextToFold;
        int received;
        long weight;
        long foreignBytes;
        long readyAtMs;
        Output output;

        Slot(Chunk first, int contributors) {
            chunkCount = first.chunkCount();
            totalElements = first.totalElements();
            elementOffset = first.elementOffset();
            elementCount = first.elementCount();
            codec = first.meta().codec();
            waiting = new float[contributors][];
            seen = new boolean[contributors];
            origins = new Object[contributors];
        }

        boolean sameLayout(Chunk c) {
            return c.chunkCount() == chunkCount && c.totalElements() == totalElements
                    && c.elementOffset() == elementOffset && c.elementCount() == elementCount
                    && c.meta().codec() == codec;
        }

        String describe() {
            return "(" + chunkCount + " chunks, " + totalElements + " elements, at " + elementOffset + "+"
                    + elementCount + ", " + codec + ")";
        }

        boolean has(int position) {
            return seen[position];
        }

        void add(int position, float[] values, int samples, int foreign, Object origin, long readyAt) {
            readyAtMs = Math.max(readyAtMs, readyAt);
            seen[position] = true;
            origins[position] = origin;
            received++;
            weight += samples;
            foreignBytes += foreign;
            waiting[position] = values;
            // fold every contribution whose predecessors are all in: the sum order is the position order
            while (nextToFold < waiting.length && waiting[nextToFold] != null) {
                float[] v = waiting[nextToFold];
                waiting[nextToFold] = null;
                if (acc == null) {
                    acc = v; // the decoded array is ours: no copy
                } else {
                    for (int i = 0; i < acc.length; i++) {
                        acc[i] += v[i];
                    }
                }
                nextToFold++;
            }
        }

        boolean complete() {
            return received == seen.length;
        }
    }
}
