package io.crosstrain.worker.messaging;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.stereotype.Component;

import io.crosstrain.checkpoint.CheckpointStore;
import io.crosstrain.contracts.Topics;
import io.crosstrain.training.DeviceTrainer;
import io.crosstrain.worker.config.WorkerProperties;
import io.crosstrain.worker.domain.JobRun;
import io.crosstrain.worker.domain.ModelStateCodec;
import io.crosstrain.worker.domain.StateClaimCheck;

/**
 * Reads the state a device starts from when it joins or its parameter range changes: scans the compacted
 * {@code crosstrain.model-state} topic from the beginning, with a consumer of its own (no group, nothing committed),
 * until the wanted state (the whole of it, or one range put together from the published ranges) is complete or the
 * wait is over. A range's pointer record (a state too large for Kafka) is resolved from the checkpoint store.
 */
@Component
class ModelStateReader implements JobRun.StateSource {

    private final Map<String, Object> config;
    private final Duration wait;
    private final StateClaimCheck claims;

    ModelStateReader(KafkaProperties kafka, WorkerProperties props, CheckpointStore store) {
        this.claims = new StateClaimCheck(store);
        this.config = new HashMap<>(kafka.buildConsumerProperties());
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 * 1024 * 1024);
        this.wait = props.roundTimeout();
    }

    @Override
    public Optional<DeviceTrainer.State> await(UUID jobId, int planVersion, long round) {
        return awaitSnapshot(jobId, planVersion, round, false).map(ModelStateCodec.Snapshot::trainer);
    }

    @Override
    public Optional<ModelStateCodec.Snapshot> awaitSnapshot(UUID jobId, int planVersion, long round,
                                                            boolean diloco) {
        ModelStateCodec.Assembler assembler = new ModelStateCodec.Assembler(jobId, round, diloco);
        return scan(jobId, assembler::accept, assembler::complete, assembler::snapshot, () -> false);
    }

    @Override
    public Optional<ModelStateCodec.Snapshot> awaitRange(UUID jobId, int planVersion, long round, long offset,
                                                         int count, boolean diloco, BooleanSupplier abandoned) {
        ModelStateCodec.RangeAssembler assembler = new ModelStateCodec.RangeAssembler(jobId, round, offset, count,
                diloco, claims);
        return scan(jobId, assembler::accept, assembler::complete, assembler::snapshot, abandoned);
    }

    /**
     * Feeds the job's records from the topic's beginning to {@code accept} until {@code complete}, time is up or
     * {@code abandoned}.
     */
    private Optional<ModelStateCodec.Snapshot> scan(UUID jobId, Predicate<byte[]> accept, BooleanSupplier complete,
                                                    Supplier<ModelStateCodec.Snapshot> result,
                                                    BooleanSupplier abandoned) {
        long deadline = System.nanoTime() + wait.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.MODEL_STATE, wait).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            String prefix = jobId + ":";
            while (System.nanoTime() < deadline && !abandoned.getAsBoolean()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && r.key().startsWith(prefix) && r.value() != null) {
                        accept.test(r.value());
                    }
                }
                if (complete.getAsBoolean()) {
                    return Optional.of(result.get());
                }
            }
        }
        return Optional.empty();
    }
}
