package io.crosstrain.inventory.config;

import java.time.Clock;

import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaAdmin;

import io.crosstrain.contracts.Topics;
import io.crosstrain.inventory.domain.HealthPolicy;
import io.crosstrain.kafka.KafkaTopics;
import io.crosstrain.planner.ChipCatalogue;

@Configuration(proxyBeanMethods = false)
class InventoryConfig {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    /** The built-in chips; ChipService adds those defined over REST. */
    @Bean
    ChipCatalogue chipCatalogue() {
        return ChipCatalogue.defaults();
    }

    @Bean
    HealthPolicy healthPolicy(InventoryProperties properties) {
        return new HealthPolicy(properties.suspectAfter(), properties.downAfter());
    }

    // only the newest heartbeat per device matters, hence a compacted topic
    @Bean
    NewTopic heartbeatTopic(InventoryProperties properties) {
        return KafkaTopics.compacted(Topics.DEVICE_HEARTBEATS, properties.heartbeatPartitions());
    }

    @Bean
    NewTopic heartbeatDeadLetterTopic() {
        return KafkaTopics.deadLetter(Topics.DEVICE_HEARTBEATS);
    }

    /** device-events is produced here (its DLT is for consumers such as the scheduler); step-metrics is consumed. */
    @Bean
    KafkaAdmin.NewTopics inventoryTopics() {
        return KafkaTopics.withDeadLetters(Topics.DEVICE_EVENTS, Topics.STEP_METRICS);
    }
}
