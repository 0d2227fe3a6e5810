package io.crosstrain.relay.domain;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongSupplier;

import io.crosstrain.contracts.RoundLedgerEntry;
import io.crosstrain.contracts.Rounds;
import io.crosstrain.relay.domain.RoundAggregator.Sink;

/**
 * What a stage has delivered: the chunks that went out (a bounded memory), the rounds whose ledger line exists, and
 * the progress of the rounds in between, whose ledger line it writes once per round.
 */
final class RoundTracker {

    record SlotId(UUID jobId, int planVersion, long round, int chunkIndex) {
        RoundId roundId() {
            return new RoundId(jobId, planVersion, round);
        }
    }

    record RoundId(UUID jobId, int planVersion, long round) {
    }

    /** Chunks of a round delivered so far, until its ledger line is written. */
    private static final class RoundProgress {
        int emitted;
        long samples;
        long wanBytes;
        /** Wall time the round's first contribution reached this stage (earliest over its chunks). */
        long openedAtMs = Long.MAX_VALUE;
        final java.util.Set<String> late = new java.util.TreeSet<>();
    }

    private final String datacenter;
    private final Sink<?> sink;
    private final LinkedHashMap<SlotId, Boolean> completed;
    private final Map<RoundId, RoundProgress> progress = new HashMap<>();
    /** Rounds whose ledger line exists (written by this relay, or read back from the ledger after a restart). */
    private final LinkedHashMap<RoundId, Boolean> committed;

    RoundTracker(String datacenter, int completedMemory, Sink<?> sink) {
        this.datacenter = datacenter;
        this.sink = sink;
        this.completed = bounded(completedMemory);
        this.committed = bounded(completedMemory);
    }

    /** Insertion-ordered, forgetting the oldest entry beyond {@code limit}. */
    private static <K> LinkedHashMap<K, Boolean> bounded(int limit) {
        return new LinkedHashMap<>(Math.min(limit, 1 << 16), 0.75f) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, Boolean> eldest) {
                return size() > limit;
            }
        };
    }

    /** The chunk, or its whole round, went out already: another contribution to it is a copy. */
    boolean delivered(SlotId id) {
        return completed.containsKey(id) || committed.containsKey(id.roundId());
    }

    /** Drops the progress of every open round of a job that ended (their ledger lines will never be written). */
    void forget(UUID jobId) {
        progress.keySet().removeIf(r -> r.jobId().equals(jobId));
    }

    int openRounds() {
        return progress.size();
    }

    void markCommitted(RoundId round) {
        committed.put(round, Boolean.TRUE);
    }

    boolean isCommitted(RoundId round) {
        return committed.containsKey(round);
    }

    /** A newer plan dropped the round: its ledger line says aborted, and nothing more of it is taken. */
    void abort(RoundId r, JobPlans versions, long closedAtMs) {
        RoundProgress p = progress.remove(r);
        committed.put(r, Boolean.TRUE);
        sink.roundClosed(new RoundLedgerEntry(r.jobId(), r.round(), r.planVersion(), datacenter,
                RoundLedgerEntry.ABORTED, kindOf(versions, r.round()), p == null ? 0 : p.samples, List.of(),
                List.of(), p == null ? 0 : p.emitted, p == null ? 0 : p.wanBytes, closedAtMs));
    }

    /** The chunk {@code slot} went out; one that went down counts toward its round, which commits with its last. */
    void emitted(SlotId id, Slot slot, JobPlans versions, LongSupplier clock) {
        completed.put(id, Boolean.TRUE);
        if (!slot.output.down()) {
            return; // a partial for the WAN: the round commits where it goes down
        }
        RoundId r = id.roundId();
        RoundProgress p = progress.computeIfAbsent(r, k -> new RoundProgress());
        p.emitted++;
        p.samples = slot.weight;
        p.wanBytes += slot.foreignBytes;
        p.late.addAll(slot.late);
        if (slot.openedAtMs > 0) {
            p.openedAtMs = Math.min(p.openedAtMs, slot.openedAtMs);
        }
        if (p.emitted == slot.chunkCount) {
            progress.remove(r);
            committed.put(r, Boolean.TRUE);
            JobPlan plan = versions == null ? null : versions.inEffect(id.planVersion(), id.round());
            long closedAt = clock.getAsLong();
            RoundLedgerEntry entry = new RoundLedgerEntry(id.jobId(), id.round(), id.planVersion(), datacenter,
                    RoundLedgerEntry.COMMITTED, kindOf(versions, id.round()), p.samples,
                    plan == null ? List.of() : plan.contributors, List.copyOf(p.late), p.emitted, p.wanBytes,
                    closedAt);
            sink.roundClosed(entry);
            if (p.openedAtMs != Long.MAX_VALUE) {
                sink.roundCommitted(entry, Math.max(0, closedAt - p.openedAtMs));
            }
        }
    }

    private static String kindOf(JobPlans versions, long round) {
        if (Rounds.isOuter(round)) {
            return RoundLedgerEntry.OUTER;
        }
        JobPlan p = versions == null ? null : versions.forRound(round);
        return p != null && p.plan.diloco() ? RoundLedgerEntry.INNER : RoundLedgerEntry.SYNC;
    }
}
