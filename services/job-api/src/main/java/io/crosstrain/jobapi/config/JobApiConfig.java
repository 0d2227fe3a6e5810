package io.crosstrain.jobapi.config;

import java.time.Clock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaAdmin;

import io.crosstrain.checkpoint.CheckpointStore;
import io.crosstrain.checkpoint.CheckpointStores;
import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.KafkaTopics;

@Configuration(proxyBeanMethods = false)
class JobApiConfig {

    private static final Logger log = LoggerFactory.getLogger(JobApiConfig.class);

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    /** job-events and job-command-results are produced here (their DLTs are for their readers); the rest consumed. */
    @Bean
    KafkaAdmin.NewTopics jobApiTopics() {
        return KafkaTopics.withDeadLetters(Topics.JOB_EVENTS, Topics.PLANS, Topics.JOB_COMMANDS, Topics.STEP_METRICS,
                Topics.CHECKPOINT_SHARDS, Topics.JOB_COMMAND_RESULTS);
    }

    /** One store for manifests, pruning, export and sampling; closing it releases an S3 client it built. */
    @Bean(destroyMethod = "close")
    CheckpointStore checkpointStore(CheckpointProperties properties) {
        CheckpointStore store = CheckpointStores.create(properties.settings());
        log.info("checkpoint store: {}", store);
        return store;
    }
}
