package io.crosstrain.kafka;

import java.util.Map;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Client settings shared by every producer and consumer of binary tensor chunks (grad-up, grad-wan, grad-down):
 * records of up to 512 KiB, sent one at a time for latency, read by workers and relays alike.
 */
public final class ChunkTraffic {

    /** Room for a few chunks per request; a chunk is at most 512 KiB plus its header. */
    public static final int MAX_REQUEST_BYTES = 2 * 1024 * 1024;

    private ChunkTraffic() {
    }

    /** Idempotent, acks=all, no linger: a chunk leaves as soon as it is encoded. */
    public static Map<String, Object> producer(Map<String, Object> config) {
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, MAX_REQUEST_BYTES);
        // chunks that queue up behind an in-flight request share one batch
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, MAX_REQUEST_BYTES);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none"); // fp32 noise does not compress
        // the kernel's auto-tuned socket buffer instead of Kafka's 128 KiB: fewer writes per 512 KiB record
        config.put(CommonClientConfigs.SEND_BUFFER_CONFIG, -1);
        return config;
    }

    /** Short fetch waits, fetches that hold several chunks, no second checksum pass. */
    public static Map<String, Object> consumer(Map<String, Object> config, int fetchMaxWaitMs) {
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, fetchMaxWaitMs);
        config.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1);
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        config.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 16 * 1024 * 1024);
        // every chunk carries a CRC32C over header and payload that its reader checks (TensorCodec.view/decode);
        // Kafka's batch CRC would read every byte a second time for the same guarantee
        config.put(ConsumerConfig.CHECK_CRCS_CONFIG, false);
        // the kernel's auto-tuned socket buffer instead of Kafka's 64 KiB: fewer reads per fetch of a few MB
        config.put(CommonClientConfigs.RECEIVE_BUFFER_CONFIG, -1);
        return config;
    }
}
