package io.crosstrain.worker.pipeline;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.crosstrain.codec.ChunkView;
import io.crosstrain.codec.TensorAssembler;
import io.crosstrain.worker.domain.RoundMailbox;

/**
 * Where a node's pipeline stages receive the activations (forward) and activation gradients (backward) their
 * neighbours hand them: in memory from a stage on the same node, from the datacenter's activations topic otherwise.
 * Each hand-over is delivered once by key (a redelivered record, or a chunk seen before, is ignored), and a stage
 * waiting for one that a newer plan version superseded is released with {@link RoundMailbox.Superseded}.
 */
public final class ActivationHub {

    /** One hand-over: to stage {@code toStage} of {@code replica}, micro-batch {@code microBatch} of a step. */
    public record Key(UUID jobId, int planVersion, long step, String replica, int toStage, int microBatch,
                      boolean forward) {

        /** The hand-over's identity (also its key in memory), without destination or chunk index. */
        public String wire() {
            return jobId + ":" + planVersion + ":" + step + ":" + replica + ":" + toStage + ":" + microBatch + ":"
                    + (forward ? "f" : "b");
        }

        /** The record key on the activations topic without the chunk index: the identity, then the receiving node. */
        public String wire(String toNode) {
            if (toNode.indexOf(':') >= 0) {
                throw new IllegalArgumentException("a node id cannot hold ':': " + toNode);
            }
            return wire() + ":" + toNode;
        }

        public static Key parse(String wire) {
            String[] p = wire.split(":");
            if (p.length < 7) {
                throw new IllegalArgumentException("not an activation key: " + wire);
            }
            return new Key(UUID.fromString(p[0]), Integer.parseInt(p[1]), Long.parseLong(p[2]), p[3],
                    Integer.parseInt(p[4]), Integer.parseInt(p[5]), "f".equals(p[6]));
        }

        /** The receiving node a record key names ({@link #wire(String)}), or null in a key without one. */
        public static String toNode(String wire) {
            String[] p = wire.split(":");
            return p.length >= 8 ? p[7] : null;
        }
    }

    /**
     * @param readyAtMs when the sending chip would have finished it (epoch ms; 0 = not emulated)
     * @param arrivedNanos when it reached this node, on {@link System#nanoTime}
     */
    public record Arrival(float[] values, long readyAtMs, long arrivedNanos) {
    }

    /** How many delivered keys are remembered to ignore a late duplicate. */
    static final int REMEMBERED = 1 << 16;

    private final Map<Key, CompletableFuture<Arrival>> slots = new LinkedHashMap<>();
    private final Map<Key, TensorAssembler> partial = new LinkedHashMap<>();
    private final Map<Key, Long> partialReadyAt = new LinkedHashMap<>();
    private final LinkedHashMap<Key, Boolean> done = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };
    /** Per job, the newest superseding version and the step it takes over from. */
    private final Map<UUID, long[]> superseded = new LinkedHashMap<>();
    /** The stages that run on this node, as "job:version:replica:stage": hand-overs to others are not kept. */
    private final java.util.Set<String> local = new java.util.HashSet<>();

    /** Stage {@code stage} of {@code replica} runs on this node under plan version {@code planVersion}. */
    public synchronized void register(UUID jobId, int planVersion, String replica, int stage) {
        local.add(jobId + ":" + planVersion + ":" + replica + ":" + stage);
    }

    private boolean isLocal(Key key) {
        return local.contains(key.jobId() + ":" + key.planVersion() + ":" + key.replica() + ":" + key.toStage());
    }

    /** A whole tensor from a stage on this node. @return false when it was delivered before */
    public synchronized boolean deliver(Key key, float[] values, long readyAtMs) {
        if (done.containsKey(key)) {
            return false;
        }
        return slot(key).complete(new Arrival(values, readyAtMs, System.nanoTime()));
    }

    /** As {@link #deliver(Key, ChunkView, long, boolean)} for a chunk whose record does not name its node. */
    public synchronized boolean deliver(Key key, ChunkView chunk, long readyAtMs) {
        return deliver(key, chunk, readyAtMs, false);
    }

    /**
     * One chunk of a tensor from another node; the tensor is delivered once its last chunk is in.
     *
     * @param addressedHere the record names this node as the receiver: kept even before the stage is registered
     *                      (the sender may have had the plan version first); others only for registered stages,
     *                      since nodes can share a partition of the topic
     * @return false for a duplicate, a chunk for another node, or a chunk of a hand-over delivered already
     */
    public synchronized boolean deliver(Key key, ChunkView chunk, long readyAtMs, boolean addressedHere) {
        if (done.containsKey(key) || !(addressedHere || isLocal(key))) {
            return false;
        }
        TensorAssembler a = partial.computeIfAbsent(key, k -> new TensorAssembler());
        partialReadyAt.merge(key, readyAtMs, Math::max);
        if (!a.accept(chunk)) {
            return false;
        }
        if (!a.complete()) {
            return true;
        }
        partial.remove(key);
        long ready = partialReadyAt.remove(key);
        return slot(key).complete(new Arrival(a.values(), ready, System.nanoTime()));
    }

    /** Waits for the hand-over of {@code key}; it is forgotten once taken. */
    public Arrival take(Key key, long timeoutMs) throws TimeoutException, InterruptedException {
        CompletableFuture<Arrival> f;
        synchronized (this) {
            checkSuperseded(key);
            f = slot(key);
        }
        try {
            Arrival a = f.get(timeoutMs, TimeUnit.MILLISECONDS);
            synchronized (this) {
                slots.remove(key);
                done.put(key, Boolean.TRUE);
            }
            return a;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RoundMailbox.Superseded s) {
                throw s;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new TimeoutException("no " + (key.forward() ? "activations" : "activation gradients") + " for "
                    + key.wire() + " within " + timeoutMs + " ms");
        }
    }

    /**
     * A newer plan version takes over from {@code fromStep}: hand-overs of older versions for that step or later
     * will not come; whoever waits for one (or asks later) switches to the new version instead.
     */
    public synchronized void supersede(UUID jobId, int newVersion, long fromStep) {
        superseded.put(jobId, new long[] {newVersion, fromStep});
        for (Iterator<Map.Entry<Key, CompletableFuture<Arrival>>> it = slots.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Key, CompletableFuture<Arrival>> e = it.next();
            Key k = e.getKey();
            if (k.jobId().equals(jobId) && k.planVersion() < newVersion && k.step() >= fromStep) {
                e.getValue().completeExceptionally(supersededError(k, newVersion, fromStep));
                it.remove();
            }
        }
    }

    /** Drops everything held for a job (it ended). */
    public synchronized void forget(UUID jobId) {
        slots.entrySet().removeIf(e -> {
            if (e.getKey().jobId().equals(jobId)) {
                e.getValue().cancel(false);
                return true;
            }
            return false;
        });
        partial.keySet().removeIf(k -> k.jobId().equals(jobId));
        partialReadyAt.keySet().removeIf(k -> k.jobId().equals(jobId));
        superseded.remove(jobId);
        local.removeIf(s -> s.startsWith(jobId + ":"));
    }

    /** Hand-overs held (delivered and not taken, or awaited): for tests and leak checks. */
    public synchronized int held() {
        return slots.size() + partial.size();
    }

    private CompletableFuture<Arrival> slot(Key key) {
        return slots.computeIfAbsent(key, k -> new CompletableFuture<>());
    }

    private void checkSuperseded(Key key) {
        long[] s = superseded.get(key.jobId());
        if (s != null && key.planVersion() < s[0] && key.step() >= s[1]) {
            throw supersededError(key, (int) s[0], s[1]);
        }
    }

    private static RoundMailbox.Superseded supersededError(Key key, int version, long from) {
        return new RoundMailbox.Superseded("plan version " + version + " takes over from step " + from + ": "
                + key.wire() + " will not come");
    }
}
