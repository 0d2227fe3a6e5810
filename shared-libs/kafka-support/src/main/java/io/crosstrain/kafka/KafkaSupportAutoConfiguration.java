package io.crosstrain.kafka;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.ByteBufferSerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaOperations;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.DeadLetterPublishingRecoverer;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.ExponentialBackOff;
import org.springframework.util.backoff.FixedBackOff;

import tools.jackson.core.JacksonException;

/**
 * CrossTrain's Kafka conventions for every service: a record that cannot be processed is retried twice (unless it
 * can never succeed, like malformed JSON), then published with its error headers to {@code <topic>.DLT}, and the
 * consumer carries on. Boot applies the {@link CommonErrorHandler} bean to the default listener container factory.
 */
@AutoConfiguration(after = KafkaAutoConfiguration.class)
@ConditionalOnBean(ProducerFactory.class)
public class KafkaSupportAutoConfiguration {

    private static final Logger log = LoggerFactory.getLogger(KafkaSupportAutoConfiguration.class);

    @Bean
    @ConditionalOnMissingBean(CommonErrorHandler.class)
    DefaultErrorHandler crosstrainErrorHandler(ProducerFactory<?, ?> producerFactory) {
        DeadLetterPublishingRecoverer recoverer = deadLetterRecoverer(producerFactory);
        DefaultErrorHandler handler = new DefaultErrorHandler(recoverer, new FixedBackOff(200L, 2L));
        handler.addNotRetryableExceptions(JacksonException.class, IllegalArgumentException.class,
                InvalidRecordException.class);
        // the database away (restarting): wait for it rather than dead-letter a good record
        handler.setBackOffFunction((record, ex) -> TransientFailures.isTransient(ex) ? transientBackOff() : null);
        return handler;
    }

    /** 0.5 s doubling to 5 s between tries, for up to 4 minutes (below the consumer's 5-minute poll interval). */
    static ExponentialBackOff transientBackOff() {
        ExponentialBackOff backOff = new ExponentialBackOff(500L, 2.0);
        backOff.setMaxInterval(5_000L);
        backOff.setMaxElapsedTime(240_000L);
        return backOff;
    }

    /**
     * Publishes dead letters with a serializer matching the value type: byte[] or ByteBuffer (the relay reads chunks
     * in place) for tensor chunks, else String.
     */
    public static DeadLetterPublishingRecoverer deadLetterRecoverer(ProducerFactory<?, ?> producerFactory) {
        Map<String, Object> config = producerFactory.getConfigurationProperties();
        Map<Class<?>, KafkaOperations<?, ?>> templates = new LinkedHashMap<>();
        templates.put(byte[].class, new KafkaTemplate<>(
                new DefaultKafkaProducerFactory<>(config, new StringSerializer(), new ByteArraySerializer())));
        templates.put(ByteBuffer.class, new KafkaTemplate<>(
                new DefaultKafkaProducerFactory<>(config, new StringSerializer(), new ByteBufferSerializer())));
        templates.put(Object.class, new KafkaTemplate<>(
                new DefaultKafkaProducerFactory<>(config, new StringSerializer(), new StringSerializer())));
        DeadLetterPublishingRecoverer recoverer = new DeadLetterPublishingRecoverer(templates,
                (record, ex) -> {
                    log.warn("dead-lettering {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                            rootMessage(ex));
                    return new TopicPartition(record.topic() + io.crosstrain.contracts.Topics.DLT_SUFFIX, -1);
                });
        return recoverer;
    }

    static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getClass().getSimpleName() + ": " + c.getMessage();
    }
}
