package io.crosstrain.jobapi.config;

import java.time.Clock;

import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.KafkaTopics;

@Configuration(proxyBeanMethods = false)
class JobApiConfig {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    NewTopic jobEventsTopic(JobApiProperties p) {
        return KafkaTopics.topic(Topics.JOB_EVENTS, p.topicPartitions());
    }

    @Bean
    NewTopic plansTopic(JobApiProperties p) {
        return KafkaTopics.topic(Topics.PLANS, p.topicPartitions());
    }

    @Bean
    NewTopic plansDeadLetterTopic() {
        return KafkaTopics.deadLetter(Topics.PLANS);
    }

    @Bean
    NewTopic commandsTopic(JobApiProperties p) {
        return KafkaTopics.topic(Topics.JOB_COMMANDS, p.topicPartitions());
    }

    @Bean
    NewTopic commandsDeadLetterTopic() {
        return KafkaTopics.deadLetter(Topics.JOB_COMMANDS);
    }

    @Bean
    NewTopic stepMetricsTopic(JobApiProperties p) {
        return KafkaTopics.topic(Topics.STEP_METRICS, p.topicPartitions());
    }

    @Bean
    NewTopic stepMetricsDeadLetterTopic() {
        return KafkaTopics.deadLetter(Topics.STEP_METRICS);
    }
}
