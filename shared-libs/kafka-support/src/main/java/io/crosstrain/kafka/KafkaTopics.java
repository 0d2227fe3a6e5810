package io.crosstrain.kafka;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaAdmin;

import io.crosstrain.contracts.Topics;

/** Topic declarations with the settings CrossTrain relies on. */
public final class KafkaTopics {
    private KafkaTopics() {
    }

    /** A topic with the partition count every service agrees on ({@link Topics#partitions}). */
    public static NewTopic topic(String name) {
        return topic(name, Topics.partitions(name));
    }

    public static NewTopic topic(String name, int partitions) {
        return TopicBuilder.name(name).partitions(partitions).replicas(1).build();
    }

    public static NewTopic deadLetter(String name) {
        return topic(Topics.deadLetter(name), 1);
    }

    /** A log-compacted topic: only the newest record per key matters (model state, heartbeats). */
    public static NewTopic compacted(String name, int partitions) {
        return TopicBuilder.name(name).partitions(partitions).replicas(1).compact().build();
    }

    /**
     * The topics a service uses, each with its dead-letter topic, at the partition counts every service agrees on:
     * one bean instead of a pair of beans per topic.
     */
    public static KafkaAdmin.NewTopics withDeadLetters(String... names) {
        List<NewTopic> topics = new ArrayList<>();
        for (String name : names) {
            topics.add(topic(name));
            topics.add(deadLetter(name));
        }
        return new KafkaAdmin.NewTopics(topics.toArray(NewTopic[]::new));
    }
}
