package io.crosstrain.worker.config;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.CommonErrorHandler;

import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.ChunkTraffic;
import io.crosstrain.kafka.KafkaTopics;

/** Binary gradient traffic gets its own low-latency producer and consumer; JSON uses Boot's defaults. */
@Configuration(proxyBeanMethods = false)
class WorkerKafkaConfig {

    @Bean
    KafkaTemplate<String, byte[]> gradientTemplate(KafkaProperties kafka) {
        Map<String, Object> config = ChunkTraffic.producer(new HashMap<>(kafka.buildProducerProperties()));
        return new KafkaTemplate<>(new DefaultKafkaProducerFactory<>(config, new StringSerializer(),
                new ByteArraySerializer()));
    }

    /** Declaring the gradient template makes Boot back off its own, so the JSON one is declared here too. */
    @Bean
    KafkaTemplate<String, String> kafkaTemplate(KafkaProperties kafka) {
        Map<String, Object> config = new HashMap<>(kafka.buildProducerProperties());
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaTemplate<>(new DefaultKafkaProducerFactory<>(config, new StringSerializer(),
                new StringSerializer()));
    }

    @Bean
    ConcurrentKafkaListenerContainerFactory<String, byte[]> gradientListenerFactory(KafkaProperties kafka,
                                                                                  CommonErrorHandler errorHandler) {
        Map<String, Object> config = ChunkTraffic.consumer(new HashMap<>(kafka.buildConsumerProperties()), 5);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        var factory = new ConcurrentKafkaListenerContainerFactory<String, byte[]>();
        factory.setConsumerFactory(new DefaultKafkaConsumerFactory<>(config, new StringDeserializer(),
                new ByteArrayDeserializer()));
        factory.setCommonErrorHandler(errorHandler);
        return factory;
    }

    @Bean
    KafkaAdmin.NewTopics workerTopics(WorkerProperties props) {
        return KafkaTopics.withDeadLetters(Topics.gradUp(props.datacenter()), Topics.gradDown(props.datacenter()),
                Topics.activations(props.datacenter()), Topics.PLANS, Topics.STEP_METRICS, Topics.JOB_EVENTS,
                Topics.CHECKPOINT_SHARDS);
    }

    @Bean
    NewTopic modelStateTopic() {
        return KafkaTopics.compacted(Topics.MODEL_STATE, Topics.partitions(Topics.MODEL_STATE));
    }

    @Bean
    NewTopic heartbeatsTopic() {
        return KafkaTopics.compacted(Topics.DEVICE_HEARTBEATS, Topics.partitions(Topics.DEVICE_HEARTBEATS));
    }
}
