package io.crosstrain.relay.domain;

import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

import io.crosstrain.codec.ChunkView;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.CorruptChunkException;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.GradientHeaders;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.RoundLedgerEntry;
import io.crosstrain.contracts.Rounds;
import io.crosstrain.relay.domain.PlanBuffer.Pending;
import io.crosstrain.relay.domain.RoundTracker.RoundId;
import io.crosstrain.relay.domain.RoundTracker.SlotId;

/**
 * Per-round chunk bookkeeping and summation of one relay stage.
 * <ul>
 * <li>{@link Stage#INTRA_DC}: contributions are the chunks of this datacenter's devices; once every device of the
 * plan delivered chunk {@code i} of a round, their sum (the DC partial) is emitted, weighted by the summed sample
 * counts. When nothing of the round crosses the WAN (a DiLoCo inner round; any but an outer round of a plan with
 * this datacenter alone), the DC average goes down instead.</li>
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

        /**
         * Every chunk of a round this stage delivers to its datacenter went out (cross-DC stage; intra-DC stage for
         * DiLoCo's inner rounds), or a newer plan dropped the round: one ledger line, once per round.
         */
        default void roundClosed(RoundLedgerEntry entry) {
        }

        /**
         * A round committed (its ledger line went out just before): {@code latencyMs} is the time from the first
         * contribution of the round reaching this stage to its last chunk going down, on the relay's wall clock.
         */
        default void roundCommitted(RoundLedgerEntry entry, long latencyMs) {
        }

        /**
         * Another datacenter's partial crossed the WAN link {@code fromDatacenter → this datacenter} (cross-DC stage;
         * counted once per contribution, duplicates and rejected records left out).
         */
        default void wanReceived(String fromDatacenter, long bytes) {
        }
    }

    /**
     * Encodes a finished chunk's values for the WAN. The default sends float32; the relay plugs in quantization with
     * error feedback for DiLoCo's outer rounds.
     */
    @FunctionalInterface
    public interface WanEncoder {
        byte[] encode(Plan plan, ChunkMeta out, ChunkView chunk, float[] values);

        /** The job resumes from a checkpoint: what was carried from rounds it took back must not be sent. */
        default void forget(UUID jobId) {
        }

        /** Jobs whose carried-over state (an error-feedback residual) this encoder holds. */
        default int jobsHeld() {
            return 0;
        }

        WanEncoder FP32 = (plan, out, chunk, values) -> TensorCodec.encodeChunk(out, chunk.chunkIndex(),
                chunk.chunkCount(), chunk.totalElements(), chunk.elementOffset(), values, 0, values.length);
    }

    /** Emulated WAN transfer time of a datacenter's contribution to this relay, in ms (0 = not emulated). */
    @FunctionalInterface
    public interface WanDelay {
        long millis(Plan plan, String fromDatacenter, String toDatacenter, long bytes);

        WanDelay NONE = (plan, from, to, bytes) -> 0L;
    }

    /**
     * A finished chunk.
     *
     * @param key      Kafka key for it (wanKey for the intra-DC stage, downKey for the cross-DC one)
     * @param record   the encoded chunk
     * @param wanBytes cross-DC stage: bytes of other datacenters' partials consumed for this chunk; else 0
     * @param readyAtMs latest emulated "gradient ready" time of the contributions (epoch ms; 0 = not emulated):
     *                  devices apply the result no earlier, so an emulated round never ends before its slowest chip
     * @param down      an average for this datacenter's workers (else a partial for the WAN)
     * @param soleDatacenter a partial (of an outer round) of a plan with no other datacenter: nobody on the WAN
     *                       needs it
     * @param stop     some contribution asked for the job to stop after this round (OR over the contributions; the
     *                 relay passes it on as {@link io.crosstrain.contracts.RoundStop#HEADER})
     */
    public record Output(UUID jobId, long round, int chunkIndex, String key, byte[] record, long wanBytes,
                         long readyAtMs, boolean down, boolean soleDatacenter, boolean stop) {
        public Output(UUID jobId, long round, int chunkIndex, String key, byte[] record, long wanBytes,
                      long readyAtMs, boolean down, boolean soleDatacenter) {
            this(jobId, round, chunkIndex, key, record, wanBytes, readyAtMs, down, soleDatacenter, false);
        }
    }

    public record Settings(int completedMemory, long maxBufferedBytes) {
        public Settings {
            if (completedMemory < 1 || maxBufferedBytes < 0) {
                throw new IllegalArgumentException("completedMemory ≥ 1 and maxBufferedBytes ≥ 0 required");
            }
        }
    }

    private final Stage stage;
    private final String datacenter;
    private final Sink<R> sink;

    private final Map<UUID, JobPlans> plans = new HashMap<>();
    /** Jobs that ended, newest last: their late records and replayed plans are ignored. Bounded, oldest forgotten. */
    private final java.util.LinkedHashMap<UUID, Boolean> ended = new java.util.LinkedHashMap<>(64, 0.75f) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Boolean> eldest) {
            return size() > ENDED_REMEMBERED;
        }
    };
    static final int ENDED_REMEMBERED = 10_000;
    private final Map<SlotId, Slot> open = new HashMap<>();
    private final RoundTracker tracker;
    private final PlanBuffer<R> buffer;
    private final OutputEncoder outputs;
    private final SumArrays sums = new SumArrays();
    private WanEncoder wanEncoder = WanEncoder.FP32;
    private WanDelay wanDelay = WanDelay.NONE;
    private java.util.function.LongSupplier clock = System::currentTimeMillis;
    private LatenessJudge lateness = LatenessJudge.NEVER;

    /** Decides whether a contribution came after its round's deadline; the relay backs it with adaptive deadlines. */
    public interface LatenessJudge {
        /** @param waitedMs how long the round had been open when the contribution of {@code sender} arrived */
        boolean late(String sender, long waitedMs);

        LatenessJudge NEVER = (sender, waitedMs) -> false;
    }

    public RoundAggregator(Stage stage, String datacenter, Settings settings, Sink<R> sink) {
        this.stage = Objects.requireNonNull(stage);
        this.datacenter = Objects.requireNonNull(datacenter);
        this.outputs = new OutputEncoder(stage, datacenter);
        Objects.requireNonNull(settings);
        this.sink = Objects.requireNonNull(sink);
        this.tracker = new RoundTracker(datacenter, settings.completedMemory(), sink);
        this.buffer = new PlanBuffer<>(settings.maxBufferedBytes(), sink);
    }

    public synchronized RoundAggregator<R> wanEncoder(WanEncoder encoder) {
        this.wanEncoder = Objects.requireNonNull(encoder);
        return this;
    }

    public synchronized RoundAggregator<R> wanDelay(WanDelay delay) {
        this.wanDelay = Objects.requireNonNull(delay);
        return this;
    }

    public synchronized RoundAggregator<R> lateness(LatenessJudge judge, java.util.function.LongSupplier wallClock) {
        this.lateness = Objects.requireNonNull(judge);
        this.clock = Objects.requireNonNull(wallClock);
        return this;
    }

    /**
     * A round the ledger already records as committed (a restarted relay reads the ledger first): every
     * contribution to it counts as a duplicate, so it is neither summed nor delivered again.
     */
    public synchronized void markCommitted(UUID jobId, int planVersion, long round) {
        tracker.markCommitted(new RoundId(jobId, planVersion, round));
    }

    public synchronized boolean isCommitted(UUID jobId, int planVersion, long round) {
        return tracker.isCommitted(new RoundId(jobId, planVersion, round));
    }

    /** The sender name a relay puts on the averaged chunks it sends down. */
    public static String relaySender(String datacenter) {
        return "relay-" + datacenter;
    }

    /**
     * Takes a plan. Only a newer version than the newest held is added. Older versions stay in effect for the rounds
     * before the new version's {@code startStep} (a rebalance announced ahead); their open chunks of later rounds are
     * dropped, and buffered contributions that now have their plan are processed. Rounds from {@code startStep} on
     * are the new version's even where an older one committed them (a resume from a checkpoint redoes them): a
     * contribution is identified with its version, so they are summed and committed afresh, once per version.
     */
    public synchronized void onPlan(Plan plan) {
        Objects.requireNonNull(plan, "plan");
        if (ended.containsKey(plan.jobId())) {
            return; // a plan read again after its job ended (the plans topic is replayed on every start)
        }
        JobPlans versions = plans.get(plan.jobId());
        if (versions != null && versions.latest().version >= plan.planVersion()) {
            return;
        }
        JobPlan added = new JobPlan(plan, stage, datacenter);
        if (versions == null) {
            versions = new JobPlans();
            plans.put(plan.jobId(), versions);
        }
        int previous = versions.isEmpty() ? -1 : versions.latest().version;
        versions.add(added);
        if (plan.resume() != null) {
            wanEncoder.forget(plan.jobId());
        }

        int dropped = 0;
        java.util.Set<RoundId> abortedRounds = new java.util.TreeSet<>(
                Comparator.comparingInt(RoundId::planVersion).thenComparingLong(RoundId::round));
        for (Iterator<SlotId> it = open.keySet().iterator(); it.hasNext(); ) {
            SlotId id = it.next();
            if (id.jobId().equals(plan.jobId()) && id.planVersion() < plan.planVersion()
                    && Rounds.step(id.round()) >= added.startStep) {
                it.remove();
                dropped++;
                abortedRounds.add(id.roundId());
            }
        }
        for (RoundId r : abortedRounds) {
            tracker.abort(r, versions, clock.getAsLong());
        }
        if (dropped > 0) {
            sink.abandoned(plan.jobId(), previous, dropped);
        }

        for (Pending<R> p : buffer.release(plan.jobId(), plan.planVersion())) { // in arrival order
            process(p.key(), wrap(p.value()), p.origin(), p.readyAtMs(), p.stop());
        }
    }

    /**
     * Drops every trace of a job that ended (succeeded, failed or cancelled), however far its rounds got: its plan
     * versions, open chunks, contributions waiting for a plan, open round progress and WAN encoder state. Their
     * records are no longer held, so consumer offsets move past them, and later records or plans of the job are
     * ignored. Returns the open chunks and buffered contributions dropped.
     */
    public synchronized int forget(UUID jobId) {
        ended.put(jobId, Boolean.TRUE);
        plans.remove(jobId);
        int dropped = 0;
        for (Iterator<SlotId> it = open.keySet().iterator(); it.hasNext(); ) {
            if (it.next().jobId().equals(jobId)) {
                it.remove();
                dropped++;
            }
        }
        dropped += buffer.drop(jobId);
        tracker.forget(jobId);
        wanEncoder.forget(jobId);
        return dropped;
    }

    /** Jobs this stage holds a plan for (ended jobs are forgotten). */
    public synchronized int jobs() {
        return plans.size();
    }

    /** Takes one inbound record: a chunk of a device (intra-DC stage) or a DC partial (cross-DC stage). */
    public synchronized void offer(String key, byte[] value, R origin) {
        process(key, wrap(value), origin, 0L, false);
    }

    /** @param readyAtMs when the contribution counts as ready under emulation (epoch ms; 0 = at once) */
    public synchronized void offer(String key, byte[] value, R origin, long readyAtMs) {
        process(key, wrap(value), origin, readyAtMs, false);
    }

    /** @param stop the contribution asks for the job to stop after this round: the chunk's output says so too */
    public synchronized void offer(String key, byte[] value, R origin, long readyAtMs, boolean stop) {
        process(key, wrap(value), origin, readyAtMs, stop);
    }

    /**
     * As {@link #offer(String, byte[], Object, long, boolean)} for the remaining bytes of {@code value}, read in
     * place: a contribution waiting for its turn keeps the buffer (a slice of a Kafka fetch) instead of a copy.
     * The buffer must not change until the chunk is emitted; its position is left alone.
     */
    public synchronized void offer(String key, ByteBuffer value, R origin, long readyAtMs, boolean stop) {
        process(key, value, origin, readyAtMs, stop);
    }

    private static ByteBuffer wrap(byte[] value) {
        return value == null ? null : ByteBuffer.wrap(value);
    }

    /** The record's bytes as an array of their own, for dead letters and the plan buffer (rare paths). */
    private static byte[] bytes(ByteBuffer value) {
        if (value == null) {
            return null;
        }
        if (value.hasArray() && value.arrayOffset() == 0 && value.position() == 0
                && value.remaining() == value.array().length) {
            return value.array();
        }
        byte[] copy = new byte[value.remaining()];
        value.duplicate().get(copy);
        return copy;
    }

    public synchronized int openChunks() {
        return open.size();
    }

    /** Rounds with chunks delivered and their ledger line not yet written. */
    public synchronized int openRounds() {
        return tracker.openRounds();
    }

    /** Jobs whose WAN encoding state (error feedback) this stage holds. */
    public synchronized int encoderJobs() {
        return wanEncoder.jobsHeld();
    }

    public synchronized int bufferedRecords() {
        return buffer.records();
    }

    public synchronized long bufferedBytes() {
        return buffer.bytes();
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
        buffer.forEachOrigin(visitor);
    }

    /** The plan version this stage works under for a job, or -1 when none arrived yet. */
    public synchronized int planVersion(UUID jobId) {
        JobPlans p = plans.get(jobId);
        return p == null ? -1 : p.latest().version;
    }

    private void process(String key, ByteBuffer value, R origin, long readyAtMs, boolean stop) {
        ChunkView chunk;
        try {
            chunk = TensorCodec.view(value); // checked, in place; the payload is read once, when it is summed
        } catch (CorruptChunkException e) {
            sink.deadLetter(key, bytes(value), origin, Rejection.CORRUPT, e.getMessage());
            return;
        }
        ChunkMeta meta = chunk.meta();
        // up and WAN keys share the layout job:round:sender:chunk
        if (key != null && !key.equals(GradientHeaders.upKey(meta.jobId(), meta.round(), meta.sender(),
                chunk.chunkIndex()))) {
            sink.deadLetter(key, bytes(value), origin, Rejection.KEY_MISMATCH, "record key " + key + " does not name "
                    + chunk);
            return;
        }
        if (ended.containsKey(meta.jobId())) {
            sink.ignored(key, origin); // a late record of a job that ended
            return;
        }
        SlotId id = new SlotId(meta.jobId(), meta.planVersion(), meta.round(), chunk.chunkIndex());
        if (tracker.delivered(id)) {
            sink.duplicate(key, origin);
            return;
        }
        JobPlans versions = plans.get(meta.jobId());
        if (versions == null || meta.planVersion() > versions.latest().version) {
            // a copy of its own: holding the slice would hold the whole fetch it came in
            buffer.add(key, bytes(value), origin, meta, readyAtMs, stop);
            return;
        }
        JobPlan plan = versions.inEffect(meta.planVersion(), meta.round());
        if (plan == null) {
            sink.deadLetter(key, bytes(value), origin, Rejection.STALE_PLAN, "chunk of plan version "
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
            sink.deadLetter(key, bytes(value), origin, Rejection.UNKNOWN_SENDER, "sender " + meta.sender() + " is not "
                    + (stage == Stage.INTRA_DC ? "a node of datacenter " + datacenter : "a datacenter")
                    + " in plan version " + plan.version + " of job " + meta.jobId());
            return;
        }

        int[] members = plan.membersOf(chunk);
        int member = java.util.Arrays.binarySearch(members, position);
        if (member < 0) {
            sink.deadLetter(key, bytes(value), origin, Rejection.UNKNOWN_SENDER, "node " + meta.sender() + " holds "
                    + "no pipeline stage covering elements " + chunk.elementOffset() + "+" + chunk.elementCount()
                    + " in plan version " + plan.version + " of job " + meta.jobId());
            return;
        }
        Slot slot = open.get(id);
        if (slot == null) {
            slot = new Slot(chunk, members.length, sums);
            open.put(id, slot);
        } else if (!slot.sameLayout(chunk)) {
            sink.deadLetter(key, bytes(value), origin, Rejection.LAYOUT_MISMATCH, chunk + " does not match the layout "
                    + slot.describe() + " of the other contributions");
            return;
        }
        if (slot.has(member)) {
            if (slot.output != null) {
                // it completed but publishing failed: a redelivery is the chance to try again
                emit(id, slot);
            } else {
                sink.duplicate(key, origin);
            }
            return;
        }
        boolean foreign = stage == Stage.CROSS_DC && !datacenter.equals(meta.sender());
        int size = value.remaining();
        long now = clock.getAsLong();
        if (slot.openedAtMs == 0) {
            slot.openedAtMs = now;
        } else if (lateness.late(meta.sender(), now - slot.openedAtMs)) {
            slot.late.add(meta.sender());
        }
        long arrival = readyAtMs;
        if (foreign && readyAtMs > 0) {
            // the emulated WAN: a partial's chunks cross the link one after another, so chunk i arrives once the
            // link has carried chunks 0..i, a latency plus their bytes over the bandwidth after it was ready
            arrival = readyAtMs + wanDelay.millis(plan.plan, meta.sender(), datacenter, bytesThrough(chunk, size));
        }
        slot.add(member, chunk, meta.sampleCount(), foreign ? size : 0, origin, arrival);
        slot.stop |= stop;
        if (foreign) {
            sink.wanReceived(meta.sender(), size);
        }
        if (slot.complete()) {
            slot.output = outputs.finish(plan, meta, chunk, slot, wanEncoder);
            // the sum lives on in the encoded record only: its array serves the next slot
            sums.give(slot.acc);
            slot.acc = null;
            emit(id, slot);
        }
    }

    /**
     * Bytes of a partial's records from its first chunk through {@code chunk}: chunks before it are full (they
     * cover {@code elementOffset} elements) and each record adds the same header and CRC as this one.
     */
    static long bytesThrough(ChunkView chunk, int recordBytes) {
        Codec codec = chunk.meta().codec();
        long overhead = recordBytes - codec.payloadBytes(chunk.elementCount());
        return codec.payloadBytes(chunk.elementOffset() + chunk.elementCount())
                + (chunk.chunkIndex() + 1L) * overhead;
    }

    private void emit(SlotId id, Slot slot) {
        sink.publish(slot.output);
        open.remove(id);
        tracker.emitted(id, slot, plans.get(id.jobId()), clock);
    }
}
