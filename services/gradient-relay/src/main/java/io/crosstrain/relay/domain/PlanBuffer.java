package io.crosstrain.relay.domain;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.relay.domain.RoundAggregator.Rejection;
import io.crosstrain.relay.domain.RoundAggregator.Sink;

/**
 * Contributions waiting for a plan (version) not seen yet, in arrival order, bounded in bytes: when it is full the
 * oldest are dead-lettered to make room.
 */
final class PlanBuffer<R> {

    record Pending<R>(String key, byte[] value, R origin, UUID jobId, int planVersion, long readyAtMs,
                      boolean stop) {
    }

    private final long maxBytes;
    private final Sink<R> sink;
    private final ArrayDeque<Pending<R>> buffer = new ArrayDeque<>();
    private long bytes;

    PlanBuffer(long maxBytes, Sink<R> sink) {
        this.maxBytes = maxBytes;
        this.sink = sink;
    }

    void add(String key, byte[] value, R origin, ChunkMeta meta, long readyAtMs, boolean stop) {
        int size = value.length;
        if (size > maxBytes) {
            sink.deadLetter(key, value, origin, Rejection.BUFFER_OVERFLOW, "no plan version " + meta.planVersion()
                    + " of job " + meta.jobId() + " yet and the chunk exceeds the buffer");
            return;
        }
        while (bytes + size > maxBytes) {
            Pending<R> oldest = buffer.removeFirst();
            bytes -= oldest.value().length;
            sink.deadLetter(oldest.key(), oldest.value(), oldest.origin(), Rejection.BUFFER_OVERFLOW,
                    "plan version " + oldest.planVersion() + " of job " + oldest.jobId()
                            + " did not arrive before the buffer filled up");
        }
        buffer.addLast(new Pending<>(key, value, origin, meta.jobId(), meta.planVersion(), readyAtMs, stop));
        bytes += size;
        sink.buffered(key, origin);
    }

    /** Takes out, in arrival order, the contributions that plan version {@code planVersion} of the job covers. */
    List<Pending<R>> release(UUID jobId, int planVersion) {
        List<Pending<R>> ready = new ArrayList<>();
        for (Iterator<Pending<R>> it = buffer.iterator(); it.hasNext(); ) {
            Pending<R> p = it.next();
            if (p.jobId().equals(jobId) && p.planVersion() <= planVersion) {
                it.remove();
                bytes -= p.value().length;
                ready.add(p);
            }
        }
        return ready;
    }

    /** Drops every contribution of a job (it ended); returns how many. */
    int drop(UUID jobId) {
        int dropped = 0;
        for (Iterator<Pending<R>> it = buffer.iterator(); it.hasNext(); ) {
            Pending<R> p = it.next();
            if (p.jobId().equals(jobId)) {
                it.remove();
                bytes -= p.value().length;
                dropped++;
            }
        }
        return dropped;
    }

    int records() {
        return buffer.size();
    }

    long bytes() {
        return bytes;
    }

    void forEachOrigin(Consumer<? super R> visitor) {
        for (Pending<R> p : buffer) {
            visitor.accept(p.origin());
        }
    }
}
