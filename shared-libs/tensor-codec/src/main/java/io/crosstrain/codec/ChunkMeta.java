package io.crosstrain.codec;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.UUID;

/**
 * What every chunk of one contribution shares.
 *
 * @param jobId       the training job
 * @param round       the round (training step) the contribution belongs to
 * @param planVersion the plan the sender worked under
 * @param sender      who produced the contribution (device id, datacenter or relay id); at most
 *                    {@link TensorCodec#MAX_SENDER_BYTES} bytes of UTF-8
 * @param sampleCount the samples behind the contribution, i.e. its weight in an average
 * @param codec       payload encoding
 */
public record ChunkMeta(UUID jobId, long round, int planVersion, String sender, int sampleCount, Codec codec) {

    public ChunkMeta {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(codec, "codec");
        if (sender.length() > TensorCodec.MAX_SENDER_BYTES
                || sender.getBytes(StandardCharsets.UTF_8).length > TensorCodec.MAX_SENDER_BYTES) {
            throw new IllegalArgumentException("sender '" + sender + "' is longer than "
                    + TensorCodec.MAX_SENDER_BYTES + " bytes of UTF-8");
        }
        if (sampleCount < 0) {
            throw new IllegalArgumentException("sampleCount must not be negative: " + sampleCount);
        }
    }

    public ChunkMeta withSender(String newSender) {
        return new ChunkMeta(jobId, round, planVersion, newSender, sampleCount, codec);
    }

    public ChunkMeta withSampleCount(int newSampleCount) {
        return new ChunkMeta(jobId, round, planVersion, sender, newSampleCount, codec);
    }

    public ChunkMeta withCodec(Codec newCodec) {
        return new ChunkMeta(jobId, round, planVersion, sender, sampleCount, newCodec);
    }
}
