package io.crosstrain.relay.messaging;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;

/**
 * Where an inbound chunk came from, without its value: the aggregator keeps one per held contribution, and holding
 * the whole ConsumerRecord would keep a second copy of every in-flight chunk alive.
 */
record Origin(String topic, int partition, long offset, Headers headers) {

    static Origin of(ConsumerRecord<?, ?> record) {
        return new Origin(record.topic(), record.partition(), record.offset(), record.headers());
    }

    TopicPartition topicPartition() {
        return new TopicPartition(topic, partition);
    }
}
