package io.crosstrain.worker.domain;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import io.crosstrain.codec.ChunkView;
import io.crosstrain.codec.TensorAssembler;

/**
 * Collects the averaged update of each round from the relay's chunks and hands the one assembled tensor to every
 * local device of the job. A chunk seen twice (redelivery) counts once; a round that every local device has taken
 * is forgotten, and late chunks of it are ignored.
 */
public final class RoundMailbox {

    /**
     * The averaged gradient of a round and the WAN bytes the datacenter received for it.
     *
     * @param stop the relay marked the round as the job's last ({@link io.crosstrain.contracts.RoundStop})
     */
    public record Update(float[] averaged, long wanBytes, long readyAtMs, int samples, boolean stop) {
    }

    private final class RoundState {
        final TensorAssembler assembler = new TensorAssembler();
        final CompletableFuture<Update> done = new CompletableFuture<>();
        final AtomicInteger takers = new AtomicInteger(localDevices);
        long wanBytes;
        long readyAtMs;
        int samples;
        boolean stop;
    }

    private final int localDevices;
    private final Map<Long, RoundState> rounds = new ConcurrentHashMap<>();
    private volatile long releasedUpTo = 0;
    private volatile long abortFrom = Long.MAX_VALUE;
    private volatile RuntimeException abortCause;

    /** Thrown by {@link #take} for rounds a newer plan version took over: the device must switch, not fail. */
    public static final class Superseded extends RuntimeException {
        public Superseded(String message) {
            super(message, null, false, false);
        }
    }

    public RoundMailbox(int localDevices) {
        this.localDevices = localDevices;
    }

    /** @return false when the chunk was a duplicate or belongs to a round already handed out */
    public boolean offer(long round, ChunkView chunk, long wanBytes) {
        return offer(round, chunk, wanBytes, 0L);
    }

    /** @param readyAtMs when the emulated chips finish the round (epoch ms, 0 = not emulated) */
    public boolean offer(long round, ChunkView chunk, long wanBytes, long readyAtMs) {
        return offer(round, chunk, wanBytes, readyAtMs, false);
    }

    /**
     * @param stop the chunk carries the relay's stop mark; the round's update carries it when any of its chunks did
     *             (a relay marks all of them alike)
     */
    public boolean offer(long round, ChunkView chunk, long wanBytes, long readyAtMs, boolean stop) {
        if (round <= releasedUpTo) {
            return false;
        }
        RoundState state = rounds.computeIfAbsent(round, r -> new RoundState());
        synchronized (state) {
            if (state.done.isDone() || !state.assembler.accept(chunk)) {
                return false;
            }
            state.wanBytes += wanBytes;
            state.readyAtMs = Math.max(state.readyAtMs, readyAtMs);
            state.stop |= stop;
            state.samples = chunk.meta().sampleCount(); // the relay's weight: every contribution's samples
            if (state.assembler.complete()) {
                state.done.complete(new Update(state.assembler.values(), state.wanBytes, state.readyAtMs,
                        state.samples, state.stop));
            }
        }
        return true;
    }

    /** Waits for the round's update; every local device calls this once per round. */
    public Update take(long round, long timeoutMillis) throws TimeoutException, InterruptedException {
        RoundState state = rounds.computeIfAbsent(round, r -> new RoundState());
        if (round >= abortFrom) {
            state.done.completeExceptionally(abortCause); // no effect when the round completed first
        }
        try {
            return state.done.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Superseded s) {
                throw s;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            if (state.takers.decrementAndGet() == 0) {
                rounds.remove(round);
                releasedUpTo = Math.max(releasedUpTo, round);
            }
        }
    }

    /**
     * Rounds from {@code round} on will not complete under this plan version: devices waiting for them, or asking
     * later, get {@link Superseded}. Rounds that already completed are handed out as usual.
     */
    public void supersedeFrom(long round, String why) {
        abortCause = new Superseded(why);
        abortFrom = round;
        rounds.forEach((r, s) -> {
            if (r >= round) {
                s.done.completeExceptionally(abortCause);
            }
        });
    }

    public void failAll(Throwable cause) {
        rounds.values().forEach(s -> s.done.completeExceptionally(cause));
    }
}
