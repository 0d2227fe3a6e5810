package io.crosstrain.worker.messaging;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.codec.ChunkHeaders;
import io.crosstrain.codec.ChunkView;
import io.crosstrain.codec.CorruptChunkException;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.RoundStop;
import io.crosstrain.kafka.InvalidRecordException;
import io.crosstrain.worker.domain.WorkerNode;

/** Averaged updates from this datacenter's relay, handed to the devices waiting for them. */
@Component
class GradientDownListener {

    static final String WAN_BYTES_HEADER = "wan-bytes";

    private final WorkerNode node;

    GradientDownListener(WorkerNode node) {
        this.node = node;
    }

    @KafkaListener(topics = "crosstrain.grad-down.${crosstrain.worker.datacenter}",
            groupId = "worker-${crosstrain.worker.node-id}", containerFactory = "gradientListenerFactory")
    void onChunk(ConsumerRecord<String, byte[]> record) {
        ChunkView chunk;
        try {
            chunk = TensorCodec.view(record.value());
        } catch (CorruptChunkException e) {
            throw new InvalidRecordException("corrupt update chunk " + record.key() + ": " + e.getMessage(), e);
        }
        long wanBytes = wanBytes(record.headers().lastHeader(WAN_BYTES_HEADER));
        org.apache.kafka.common.header.Header ready = record.headers().lastHeader(ChunkHeaders.READY_AT);
        long readyAtMs = ready == null ? 0L : ChunkHeaders.decodeLong(ready.value());
        Header stopMark = record.headers().lastHeader(RoundStop.HEADER);
        boolean stop = stopMark != null && RoundStop.requested(stopMark.value());
        node.run(chunk.meta().jobId()).ifPresent(run -> run.offer(chunk.meta().planVersion(), chunk.meta().round(),
                chunk, wanBytes, readyAtMs, stop));
    }

    static long wanBytes(Header header) {
        if (header == null) {
            return 0;
        }
        byte[] v = header.value();
        if (v.length == Long.BYTES) {
            return ByteBuffer.wrap(v).getLong();
        }
        return Long.parseLong(new String(v, StandardCharsets.UTF_8).trim());
    }
}
