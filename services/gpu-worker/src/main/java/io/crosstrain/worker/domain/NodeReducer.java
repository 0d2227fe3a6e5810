package io.crosstrain.worker.domain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;

import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.TensorCodec;

/**
 * The intra-node reduce: the devices of one node add their batch-weighted gradients (in rank order, so the sum is
 * the same bits whatever order they finish in) and the node sends one contribution to its datacenter's relay, as
 * NCCL would inside a server before anything leaves it. Rounds are lock-step per node: no device can deposit round
 * r+1 before the update of round r arrived, which needs this round's contribution to have been sent.
 *
 * <p>A device holding a pipeline stage deposits the gradient of its stage's parameter range only ({@link Part}); the
 * node then sends just the chunks of the flat vector's chunk grid that its devices' ranges meet (elements of such a
 * chunk outside them are zero), and each chunk counts the samples of the replicas whose stage on this node holds
 * the chunk's first element — so a replica's samples count once per chunk, however its stages are spread over
 * nodes (the relay divides a chunk's sum by its summed count).
 */
public final class NodeReducer {

    /** A device's part of the flat vector: elements {@code [offset, offset + length)}. */
    public record Part(long offset, int length) {
        boolean holds(long element) {
            return element >= offset && element < offset + length;
        }
    }

    private final UUID jobId;
    private final int planVersion;
    private final String nodeId;
    private final List<Part> parts;
    private final long total;
    private final float[][] gradients;
    private final int[] samples;
    private final float[] sum;
    /** The chunk indices this node sends, ascending. */
    private final int[] chunks;
    private final int perChunk;
    private int arrived;
    private long round = -1;
    private long readyAtMs;
    private volatile long lastReadyAtMs;

    /** Whole replicas: every device deposits the whole vector of {@code parameters}. */
    public NodeReducer(UUID jobId, int planVersion, String nodeId, int devices, int parameters) {
        this(jobId, planVersion, nodeId, java.util.Collections.nCopies(devices, new Part(0, parameters)), parameters);
    }

    /** @param parts per local device in rank order, the part of the flat vector of {@code total} it deposits */
    public NodeReducer(UUID jobId, int planVersion, String nodeId, List<Part> parts, long total) {
        this.jobId = jobId;
        this.planVersion = planVersion;
        this.nodeId = nodeId;
        this.parts = List.copyOf(parts);
        this.total = total;
        this.gradients = new float[parts.size()][];
        this.samples = new int[parts.size()];
        this.perChunk = TensorCodec.elementsPerChunk(Codec.FP32, nodeId);
        TreeSet<Integer> covered = new TreeSet<>();
        for (Part p : parts) {
            if (p.offset() < 0 || p.length() < 0 || p.offset() + p.length() > total) {
                throw new IllegalArgumentException("part " + p + " outside a vector of " + total);
            }
            if (p.length() > 0) {
                for (long c = p.offset() / perChunk; c <= (p.offset() + p.length() - 1) / perChunk; c++) {
                    covered.add((int) c);
                }
            }
        }
        this.chunks = covered.stream().mapToInt(Integer::intValue).toArray();
        this.sum = whole() && parts.size() == 1 ? null : new float[Math.toIntExact(total)];
    }

    /** One device depositing the whole vector: its gradient is sent as it is, no sum. */
    private boolean whole() {
        return parts.stream().allMatch(p -> p.offset() == 0 && p.length() == total);
    }

    /** The chunk indices this node sends each round. */
    public int[] chunks() {
        return chunks.clone();
    }

    /**
     * The chunk index (in the whole vector's chunk grid) of the {@code i}-th chunk a deposit returns: the record key
     * must name it, and a node whose stages meet only part of the vector sends a subset of the grid.
     */
    public int chunkIndex(int i) {
        return chunks[i];
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
     *
     * @param batch the samples this device's part stands for (a stage's: its replica's batch)
     */
    public List<byte[]> deposit(long round, int position, float[] gradient, int batch, long readyAtMs) {
        float[][] ready;
        int[] counts;
        synchronized (this) {
            if (this.round != round) {
                if (arrived != 0) {
                    throw new IllegalStateException("round " + round + " started before round " + this.round
                            + " was complete on node " + nodeId);
                }
                this.round = round;
            }
            if (gradients[position] != null) {
                throw new IllegalStateException("device at position " + position + " deposited round " + round
                        + " twice");
            }
            if (gradient.length != parts.get(position).length()) {
                throw new IllegalArgumentException("device at position " + position + " deposited "
                        + gradient.length + " values for a part of " + parts.get(position).length());
            }
            gradients[position] = gradient;
            samples[position] = batch;
            this.readyAtMs = Math.max(this.readyAtMs, readyAtMs);
            if (++arrived < gradients.length) {
                return List.of();
            }
            ready = gradients.clone();
            counts = samples.clone();
            Arrays.fill(gradients, null);
            arrived = 0;
            lastReadyAtMs = this.readyAtMs;
            this.readyAtMs = 0;
        }
        // lock-step rounds: nobody deposits the next round before these chunks went out
        if (sum == null) {
            return TensorCodec.encode(meta(round, counts[0]), ready[0]); // nothing to add: no copy
        }
        for (int c : chunks) {
            int from = c * perChunk;
            Arrays.fill(sum, from, (int) Math.min(total, (long) from + perChunk), 0f);
        }
        // in rank order: the first part over an element is copied, later ones added, as a plain sum would
        boolean[] written = new boolean[Math.toIntExact(total)];
        for (int d = 0; d < ready.length; d++) {
            Part p = parts.get(d);
            float[] g = ready[d];
            int at = (int) p.offset();
            for (int i = 0; i < g.length; i++) {
                if (written[at + i]) {
                    sum[at + i] += g[i];
                } else {
                    sum[at + i] = g[i];
                    written[at + i] = true;
                }
            }
        }
        int n = TensorCodec.chunkCount(Codec.FP32, nodeId, total);
        List<byte[]> out = new ArrayList<>(chunks.length);
        for (int c : chunks) {
            int from = c * perChunk;
            int count = (int) Math.min(perChunk, total - from);
            int weight = 0;
            for (int d = 0; d < parts.size(); d++) {
                if (parts.get(d).holds(from)) {
                    weight += counts[d];
                }
            }
            out.add(TensorCodec.encodeChunk(meta(round, weight), c, n, total, from, sum, from, count));
        }
        return out;
    }

    private ChunkMeta meta(long round, int samples) {
        return new ChunkMeta(jobId, round, planVersion, nodeId, samples, Codec.FP32);
    }

    /** For the device that received a round's chunks: when the node's contribution of that round is ready. */
    public long readyAtOfLastRound() {
        return lastReadyAtMs;
    }
}
