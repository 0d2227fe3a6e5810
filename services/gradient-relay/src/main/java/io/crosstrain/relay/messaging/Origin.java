package io.crosstrain.relay.messaging;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Where an inbound chunk came from, without its value: the aggregator keeps one per held contribution, and holding
 * the whole ConsumerRecord would keep a second copy of every in-flight chunk alive.
 */
record Origin(String topic, int partition, long offset, Headers headers) {

    static Origin of(ConsumerRecord<?, ?> record) {
        return new Origin(record.topic(), record.partition(), record.offset(), record.headers());
    }

    /** A partial handed from the intra-DC to the cross-DC stage in memory: no Kafka position to hold or commit. */
    static Origin local(String topic) {
        return new Origin(topic, -1, -1L, new RecordHeaders());
    }

    TopicPartition topicPartition() {
        return new TopicPartition(topic, partition);
    }
}
