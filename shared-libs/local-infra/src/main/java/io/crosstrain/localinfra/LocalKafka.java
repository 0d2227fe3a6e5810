package io.crosstrain.localinfra;

import java.util.HashMap;
import java.util.Map;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * A real single-node Kafka broker in KRaft mode, started in this JVM from Kafka's own jars (through Kafka's test
 * kit), for integration tests: nothing needs Docker or a separately installed Kafka. The local stack runs
 * {@code kafka.Kafka} as a child JVM instead, on fixed ports.
 */
public final class LocalKafka implements AutoCloseable {

    private final EmbeddedKafkaKraftBroker broker;

    private LocalKafka(EmbeddedKafkaKraftBroker broker) {
        this.broker = broker;
    }

    /** Starts a broker on a free port (the test kit picks its own ports in KRaft mode). */
    public static LocalKafka start() {
        return start(Map.of());
    }

    /**
     * The broker settings a test broker gets (in this JVM, or in a test container): topics made on first use, no
     * rebalance delay, one replica, room for 512 KiB gradient chunks.
     */
    public static Map<String, String> testBrokerProperties() {
        return Map.of(
                "auto.create.topics.enable", "true",
                "group.initial.rebalance.delay.ms", "0",
                "offsets.topic.replication.factor", "1",
                "transaction.state.log.replication.factor", "1",
                "transaction.state.log.min.isr", "1",
                // gradient chunks are at most 512 KiB; leave head-room for batching
                "message.max.bytes", String.valueOf(4 * 1024 * 1024),
                "replica.fetch.max.bytes", String.valueOf(4 * 1024 * 1024),
                // kernel-tuned socket buffers rather than 100 KiB: gradient chunks are 512 KiB
                "socket.send.buffer.bytes", "-1",
                "socket.receive.buffer.bytes", "-1");
    }

    /** As {@link #start()}, with further broker properties (they win over the defaults here). */
    public static LocalKafka start(Map<String, String> overrides) {
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, 1);
        Map<String, String> props = new HashMap<>(testBrokerProperties());
        props.putAll(overrides);
        broker.brokerProperties(props);
        broker.afterPropertiesSet();
        return new LocalKafka(broker);
    }

    public String bootstrapServers() {
        return broker.getBrokersAsString();
    }

    @Override
    public void close() {
        broker.destroy();
    }
}
