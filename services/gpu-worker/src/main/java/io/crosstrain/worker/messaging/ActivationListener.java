package io.crosstrain.worker.messaging;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.annotation.TopicPartition;
import org.springframework.stereotype.Component;

import io.crosstrain.codec.ChunkHeaders;
import io.crosstrain.codec.ChunkView;
import io.crosstrain.codec.CorruptChunkException;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.kafka.InvalidRecordException;
import io.crosstrain.worker.pipeline.ActivationHub;

/**
 * Pipeline hand-overs from stages on other nodes of this datacenter: the node reads the one partition of the
 * datacenter's activations topic its id hashes to (senders put records for it there) and passes every chunk addressed
 * to its stages to the {@link ActivationHub}, which checks it, assembles it and delivers it once.
 */
@Component
class ActivationListener {

    private final ActivationHub hub;
    private final String nodeId;

    ActivationListener(ActivationHub hub, io.crosstrain.worker.config.WorkerProperties props) {
        this.hub = hub;
        this.nodeId = props.nodeId();
    }

    @KafkaListener(id = "activations-${crosstrain.worker.node-id}", groupId = "worker-${crosstrain.worker.node-id}-act",
            containerFactory = "gradientListenerFactory", topicPartitions = @TopicPartition(
                    topic = "crosstrain.activations.${crosstrain.worker.datacenter}",
                    partitions = "#{T(io.crosstrain.contracts.Topics).activationPartition('${crosstrain.worker.node-id}')}"))
    void onChunk(ConsumerRecord<String, byte[]> record) {
        String key = record.key();
        if (key == null || key.lastIndexOf(':') < 0) {
            throw new InvalidRecordException("activation record without a key");
        }
        ChunkView chunk;
        ActivationHub.Key handOver;
        String withoutChunk = key.substring(0, key.lastIndexOf(':'));
        try {
            chunk = TensorCodec.view(record.value());
            handOver = ActivationHub.Key.parse(withoutChunk);
        } catch (CorruptChunkException | IllegalArgumentException e) {
            throw new InvalidRecordException("bad activation record " + key + ": " + e.getMessage(), e);
        }
        Header ready = record.headers().lastHeader(ChunkHeaders.READY_AT);
        hub.deliver(handOver, chunk, ready == null ? 0L : ChunkHeaders.decodeLong(ready.value()),
                nodeId.equals(ActivationHub.Key.toNode(withoutChunk)));
    }
}
