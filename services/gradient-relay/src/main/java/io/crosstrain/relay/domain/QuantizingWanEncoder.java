package io.crosstrain.relay.domain;

import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import io.crosstrain.codec.ChunkView;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.ErrorFeedback;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.Plan;

/**
 * Encodes a datacenter's DiLoCo pseudo-gradient partial for the WAN with the plan's codec, carrying each chunk's
 * quantization residual into the job's next outer round (error feedback), so what the codec drops in one round is
 * sent in a later one instead of being lost. The chunk keeps the float32 layout (same element range per chunk
 * index), only its payload shrinks. The residual lives in this relay's memory: a restarted relay starts with none,
 * which costs at most one round's rounding error; so does a job resuming from a checkpoint, whose residual came from
 * rounds it took back.
 */
public final class QuantizingWanEncoder implements RoundAggregator.WanEncoder {

    private record Key(UUID jobId, int chunkIndex) {
    }

    private final Map<Key, ErrorFeedback> feedback = new HashMap<>();

    @Override
    public synchronized byte[] encode(Plan plan, ChunkMeta out, ChunkView chunk, float[] values) {
        Codec codec = codecOf(plan);
        float[] sent = values;
        if (codec != Codec.FP32) {
            ErrorFeedback ef = feedback.get(new Key(out.jobId(), chunk.chunkIndex()));
            if (ef == null || ef.size() != values.length) {
                ef = new ErrorFeedback(values.length);
                feedback.put(new Key(out.jobId(), chunk.chunkIndex()), ef);
            }
            sent = ef.compress(codec, values);
        }
        return TensorCodec.encodeChunk(out.withCodec(codec), chunk.chunkIndex(), chunk.chunkCount(),
                chunk.totalElements(), chunk.elementOffset(), sent, 0, sent.length);
    }

    @Override
    public synchronized void forget(UUID jobId) {
        feedback.keySet().removeIf(k -> k.jobId().equals(jobId));
    }

    @Override
    public synchronized int jobsHeld() {
        return (int) feedback.keySet().stream().map(Key::jobId).distinct().count();
    }

    /** Chunks of the job with a residual held (for tests). */
    synchronized int residuals(UUID jobId) {
        return (int) feedback.keySet().stream().filter(k -> k.jobId().equals(jobId)).count();
    }

    static Codec codecOf(Plan plan) {
        String name = plan.syncOrDefaults().codec();
        return switch (name) {
            case "fp32" -> Codec.FP32;
            case "bf16" -> Codec.BF16;
            case "fp16" -> Codec.FP16;
            case "int8" -> Codec.INT8;
            case "int4" -> Codec.INT4;
            default -> throw new IllegalArgumentException("unknown WAN codec " + name);
        };
    }
}
