package io.crosstrain.worker.domain;

import java.util.List;
import java.util.UUID;

import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.TensorCodec;

/**
 * The intra-node reduce: the devices of one node add their batch-weighted gradients (in rank order, so the sum is
 * the same bits whatever order they finish in) and the node sends one contribution to its datacenter's relay, as
 * NCCL would inside a server before anything leaves it. Rounds are lock-step per node: no device can deposit round
 * r+1 before the update of round r arrived, which needs this round's contribution to have been sent.
 */
public final class NodeReducer {

    private final UUID jobId;
    private final int planVersion;
    private final String nodeId;
    private final float[][] parts;
    private final int[] batches;
    private final float[] sum;
    private int arrived;
    private long round = -1;
    private long readyAtMs;
    private volatile long lastReadyAtMs;

    /** @param parameters length of every gradient; positions 0..devices-1 are the local devices in rank order */
    public NodeReducer(UUID jobId, int planVersion, String nodeId, int devices, int parameters) {
        this.jobId = jobId;
        this.planVersion = planVersion;
        this.nodeId = nodeId;
        this.parts = new float[devices][];
        this.batches = new int[devices];
        this.sum = devices > 1 ? new float[parameters] : null;
    }

    /**
     * Deposits one device's gradient of {@code round}. The device that completes the round gets the node's
     * contribution as wire chunks (and sends them); the others get an empty list. The gradient array must stay
     * untouched until the round's update has arrived.
     */
    public List<byte[]> deposit(long round, int position, float[] gradient, int batch) {
        return deposit(round, position, gradient, batch, 0L);
    }

    /**
     * As {@link #deposit(long, int, float[], int)}, with the time the emulated chip finishes this gradient; the
     * node's contribution is ready when its last device is ({@link #readyAtOfLastRound()}).
     */
    public List<byte[]> deposit(long round, int position, float[] gradient, int batch, long readyAtMs) {
        float[][] ready;
        synchronized (this) {
            if (this.round != round) {
                if (arrived != 0) {
                    throw new IllegalStateException("round " + round + " started before round " + this.round
                            + " was complete on node " + nodeId);
                }
                this.round = round;
            }
            if (parts[position] != null) {
                throw new IllegalStateException("device at position " + position + " deposited round " + round
                        + " twice");
            }
            parts[position] = gradient;
            batches[position] = batch;
            this.readyAtMs = Math.max(this.readyAtMs, readyAtMs);
            if (++arrived < parts.length) {
                return List.of();
            }
            ready = parts.clone();
            java.util.Arrays.fill(parts, null);
            arrived = 0;
            lastReadyAtMs = this.readyAtMs;
            this.readyAtMs = 0;
        }
        // lock-step rounds: nobody deposits the next round before these chunks went out
        ChunkMeta meta = new ChunkMeta(jobId, round, planVersion, nodeId, java.util.Arrays.stream(batches).sum(),
                Codec.FP32);
        if (ready.length == 1) {
            return TensorCodec.encode(meta, ready[0]); // nothing to add: no copy
        }
        System.arraycopy(ready[0], 0, sum, 0, sum.length);
        for (int d = 1; d < ready.length; d++) {
            float[] g = ready[d];
            for (int i = 0; i < sum.length; i++) {
                sum[i] += g[i];
            }
        }
        return TensorCodec.encode(meta, sum);
    }

    /** For the device that received a round's chunks: when the node's contribution of that round is ready. */
    public long readyAtOfLastRound() {
        return lastReadyAtMs;
    }
}
