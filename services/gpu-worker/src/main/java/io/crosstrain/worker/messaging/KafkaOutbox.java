package io.crosstrain.worker.messaging;

import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.CheckpointShard;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.worker.domain.JobRun;
import io.micrometer.core.instrument.MeterRegistry;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sends a run's gradients, metrics and checkpoint shards. Idempotent producers: a retried send is written once. Each step metric also
 * updates this node's {@link DeviceMeters}.
 */
@Component
class KafkaOutbox implements JobRun.Outbox {

    private final KafkaTemplate<String, byte[]> gradients;
    private final KafkaTemplate<String, String> json;
    private final JsonMapper mapper;
    private final DeviceMeters meters;

    KafkaOutbox(KafkaTemplate<String, byte[]> gradientTemplate, KafkaTemplate<String, String> json, JsonMapper mapper,
                MeterRegistry registry) {
        this.gradients = gradientTemplate;
        this.json = json;
        this.mapper = mapper;
        this.meters = new DeviceMeters(registry);
    }

    @Override
    public void sendGradient(String topic, String key, byte[] chunk) {
        gradients.send(topic, key, chunk);
    }

    @Override
    public void sendGradient(String topic, String key, byte[] chunk, long readyAtMs) {
        sendGradient(topic, key, chunk, readyAtMs, false);
    }

    @Override
    public void sendGradient(String topic, String key, byte[] chunk, long readyAtMs, boolean stop) {
        if (readyAtMs <= 0 && !stop) {
            gradients.send(topic, key, chunk);
            return;
        }
        org.apache.kafka.clients.producer.ProducerRecord<String, byte[]> record =
                new org.apache.kafka.clients.producer.ProducerRecord<>(topic, key, chunk);
        if (readyAtMs > 0) {
            record.headers().add(io.crosstrain.codec.ChunkHeaders.READY_AT,
                    io.crosstrain.codec.ChunkHeaders.encodeLong(readyAtMs));
        }
        if (stop) {
            record.headers().add(io.crosstrain.contracts.RoundStop.HEADER, io.crosstrain.contracts.RoundStop.YES);
        }
        gradients.send(record);
    }

    @Override
    public void sendActivation(String topic, int partition, String key, byte[] chunk, long readyAtMs) {
        org.apache.kafka.clients.producer.ProducerRecord<String, byte[]> record =
                new org.apache.kafka.clients.producer.ProducerRecord<>(topic, partition, key, chunk);
        if (readyAtMs > 0) {
            record.headers().add(io.crosstrain.codec.ChunkHeaders.READY_AT,
                    io.crosstrain.codec.ChunkHeaders.encodeLong(readyAtMs));
        }
        gradients.send(record);
    }

    @Override
    public void publishCheckpointShard(CheckpointShard shard) {
        json.send(Topics.CHECKPOINT_SHARDS, shard.jobId().toString(), mapper.writeValueAsString(shard));
    }

    @Override
    public void publishMetric(StepMetric metric) {
        json.send(Topics.STEP_METRICS, metric.jobId().toString(), mapper.writeValueAsString(metric));
        meters.record(metric);
    }
}
