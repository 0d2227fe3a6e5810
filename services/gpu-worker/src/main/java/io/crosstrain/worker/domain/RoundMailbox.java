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

    /** The averaged gradient of a round and the WAN bytes the datacenter received for it. */
    public record Update(float[] averaged, long wanBytes) {
    }

    private final class RoundState {
        final TensorAssembler assembler = new TensorAssembler();
        final CompletableFuture<Update> done = new CompletableFuture<>();
        final AtomicInteger takers = new AtomicInteger(localDevices);
        long wanBytes;
    }

    private final int localDevices;
    private final Map<Long, RoundState> rounds = new ConcurrentHashMap<>();
    private volatile long releasedUpTo = 0;

    public RoundMailbox(int localDevices) {
        this.localDevices = localDevices;
    }

    /** @return false when the chunk was a duplicate or belongs to a round already handed out */
    public boolean offer(long round, ChunkView chunk, long wanBytes) {
        if (round <= releasedUpTo) {
            return false;
        }
        RoundState state = rounds.computeIfAbsent(round, r -> new RoundState());
        synchronized (state) {
            if (state.done.isDone() || !state.assembler.accept(chunk)) {
                return false;
            }
            state.wanBytes += wanBytes;
            if (state.assembler.complete()) {
                state.done.complete(new Update(state.assembler.values(), state.wanBytes));
            }
        }
        return true;
    }

    /** Waits for the round's update; every local device calls this once per round. */
    public Update take(long round, long timeoutMillis) throws TimeoutException, InterruptedException {
        RoundState state = rounds.computeIfAbsent(round, r -> new RoundState());
        try {
            return state.done.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            if (state.takers.decrementAndGet() == 0) {
                rounds.remove(round);
                releasedUpTo = Math.max(releasedUpTo, round);
            }
        }
    }

    public void failAll(Throwable cause) {
        rounds.values().forEach(s -> s.done.completeExceptionally(cause));
    }

    int openRounds() {
        return rounds.size();
    }
}
