package io.crosstrain.relay.config;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.ContainerProperties;

import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.ChunkTraffic;
import io.crosstrain.kafka.KafkaTopics;
import io.crosstrain.relay.messaging.GradientPublisher;

/**
 * Kafka wiring of the gradient path. The byte[] producer and consumer factories are deliberately NOT beans: a
 * ProducerFactory / ConsumerFactory / KafkaTemplate bean would make Boot's String-typed defaults (used for plans and
 * by the shared dead-letter handler) back off.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(RelayProperties.class)
class KafkaConfig {

    @Bean
    KafkaAdmin.NewTopics relayTopics(RelayProperties relay) {
        String dc = relay.datacenter();
        return KafkaTopics.withDeadLetters(Topics.PLANS, Topics.gradUp(dc), Topics.GRAD_WAN, Topics.gradDown(dc),
                Topics.ROUND_LEDGER);
    }

    /**
     * Listener container factory for chunk topics, tuned for latency. Values are ByteBuffer slices of the fetched
     * data: the relay checks and sums every chunk where it arrived, instead of copying 512 KiB per record first.
     */
    @Bean
    ConcurrentKafkaListenerContainerFactory<String, ByteBuffer> gradListenerFactory(KafkaProperties boot,
            KafkaConnectionDetails connection, ObjectProvider<CommonErrorHandler> errorHandler) {
        Map<String, Object> props = ChunkTraffic.consumer(new HashMap<>(boot.buildConsumerProperties()), 10);
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, connection.getConsumer().getBootstrapServers());
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteBufferDeserializer.class);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // a relay that joins late must still see the chunks sent before it was assigned
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        ConcurrentKafkaListenerContainerFactory<String, ByteBuffer> factory =
                new ConcurrentKafkaListenerContainerFactory<>();
        factory.setConsumerFactory(new DefaultKafkaConsumerFactory<>(props, new StringDeserializer(),
                new ByteBufferDeserializer()));
        factory.setConcurrency(1);
        // offsets are committed by the listeners, never past a contribution still held in memory
        factory.getContainerProperties().setAckMode(ContainerProperties.AckMode.MANUAL);
        // an idle spell commits what the last records and an ended job's dropped chunks left uncommitted
        factory.getContainerProperties().setIdleEventInterval(IDLE_COMMIT_MS);
        // last resort only: the listeners dead-letter the records they reject themselves
        errorHandler.ifUnique(factory::setCommonErrorHandler);
        return factory;
    }

    static final long IDLE_COMMIT_MS = 2_000;

    @Bean
    GradientPublisher gradientPublisher(KafkaProperties boot, KafkaConnectionDetails connection,
                                        RelayProperties relay) {
        Map<String, Object> props = ChunkTraffic.producer(new HashMap<>(boot.buildProducerProperties()));
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, connection.getProducer().getBootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "relay-" + relay.datacenter() + "-grad");
        props.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        DefaultKafkaProducerFactory<String, byte[]> factory = new DefaultKafkaProducerFactory<>(props,
                new StringSerializer(), new ByteArraySerializer());
        return new GradientPublisher(new KafkaTemplate<>(factory), factory);
    }
}
