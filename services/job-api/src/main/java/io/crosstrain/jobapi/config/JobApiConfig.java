package io.crosstrain.jobapi.config;

import java.time.Clock;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaAdmin;

import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.KafkaTopics;

@Configuration(proxyBeanMethods = false)
class JobApiConfig {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    /** job-events is produced here (its DLT is for the scheduler); the others are consumed. */
    @Bean
    KafkaAdmin.NewTopics jobApiTopics() {
        return KafkaTopics.withDeadLetters(Topics.JOB_EVENTS, Topics.PLANS, Topics.JOB_COMMANDS, Topics.STEP_METRICS);
    }
}
