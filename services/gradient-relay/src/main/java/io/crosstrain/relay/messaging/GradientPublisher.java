package io.crosstrain.relay.messaging;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.KafkaHeaders;

import io.crosstrain.codec.ChunkHeaders;
import io.crosstrain.contracts.RoundStop;
import io.crosstrain.contracts.Topics;

/**
 * Sends gradient chunks (byte[] values) and dead letters. Sends are asynchronous: the listener thread never waits
 * for the broker; the idempotent producer (acks=all) retries on its own, and a send that finally fails is logged
 * and counted.
 */
public class GradientPublisher implements DisposableBean {

    /** Short reason code on dead letters (e.g. STALE_PLAN); the message is in {@link KafkaHeaders#DLT_EXCEPTION_MESSAGE}. */
    public static final String DLT_REASON = "dlt-reason";

    private static final Logger log = LoggerFactory.getLogger(GradientPublisher.class);

    private final KafkaTemplate<String, byte[]> template;
    private final DefaultKafkaProducerFactory<String, byte[]> factory;
    private volatile Runnable onFailure = () -> { };
    private volatile java.util.function.Consumer<String> onDelivered = topic -> { };
    private volatile io.github.resilience4j.retry.Retry wanRetry;
    private final java.util.concurrent.ScheduledExecutorService retryTimer =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "wan-retry");
                t.setDaemon(true);
                return t;
            });

    public GradientPublisher(KafkaTemplate<String, byte[]> template,
                             DefaultKafkaProducerFactory<String, byte[]> factory) {
        this.template = template;
        this.factory = factory;
    }

    void onFailure(Runnable callback) {
        this.onFailure = callback;
    }

    /** Called with the topic of every record the broker acknowledged, on the producer's I/O thread. */
    void onDelivered(java.util.function.Consumer<String> callback) {
        this.onDelivered = callback;
    }

    /** Publishes a chunk; {@code wanBytes} ≥ 0 adds the {@link ChunkHeaders#WAN_BYTES} header. */
    public void send(String topic, String key, byte[] value, long wanBytes) {
        send(topic, key, value, wanBytes, 0L);
    }

    /** As {@link #send(String, String, byte[], long)}, plus {@link ChunkHeaders#READY_AT} when positive. */
    public void send(String topic, String key, byte[] value, long wanBytes, long readyAtMs) {
        send(topic, key, value, wanBytes, readyAtMs, false);
    }

    /** As {@link #send(String, String, byte[], long, long)}, plus the {@link RoundStop#HEADER} mark when {@code stop}. */
    public void send(String topic, String key, byte[] value, long wanBytes, long readyAtMs, boolean stop) {
        send(new ProducerRecord<>(topic, null, key, value, headers(wanBytes, readyAtMs, stop)));
    }

    private static Headers headers(long wanBytes, long readyAtMs, boolean stop) {
        Headers headers = new RecordHeaders();
        if (wanBytes >= 0) {
            headers.add(ChunkHeaders.WAN_BYTES, ChunkHeaders.encodeLong(wanBytes));
        }
        if (readyAtMs > 0) {
            headers.add(ChunkHeaders.READY_AT, ChunkHeaders.encodeLong(readyAtMs));
        }
        if (stop) {
            headers.add(RoundStop.HEADER, RoundStop.YES);
        }
        return headers;
    }

    /** Guards {@link #sendToWan} with this retry (the relay's outbound WAN link). */
    void wanRetry(io.github.resilience4j.retry.Retry retry) {
        this.wanRetry = retry;
    }

    /**
     * Hands this datacenter's partial to the WAN topic. A send the producer finally fails (broker away longer than
     * its delivery timeout) is tried again by the link's Resilience4j retry, with backoff, before it counts as failed.
     */
    void sendToWan(String key, byte[] value, long readyAtMs, boolean stop) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.GRAD_WAN, null, key, value,
                headers(-1, readyAtMs, stop));
        io.github.resilience4j.retry.Retry retry = wanRetry;
        if (retry == null) {
            send(record);
            return;
        }
        retry.executeCompletionStage(retryTimer, () -> template.send(record))
                .whenComplete((result, ex) -> completed(record, ex));
    }

    /** Publishes a JSON line (the round ledger) with the same idempotent producer. */
    void sendJson(String topic, String key, byte[] json) {
        send(new ProducerRecord<>(topic, null, key, json));
    }

    /**
     * Publishes a rejected record to {@code <topic>.DLT} with its original headers plus Spring Kafka's standard
     * dead-letter headers and {@link #DLT_REASON}.
     */
    void deadLetter(Origin origin, String fallbackTopic, String key, byte[] value,
                           String reason, String exceptionClass, String message) {
        String topic = origin != null ? origin.topic() : fallbackTopic;
        Headers headers = new RecordHeaders();
        if (origin != null) {
            for (Header h : origin.headers()) {
                headers.add(h);
            }
            headers.add(KafkaHeaders.DLT_ORIGINAL_PARTITION, ByteBuffer.allocate(4).putInt(origin.partition()).array());
            headers.add(KafkaHeaders.DLT_ORIGINAL_OFFSET, ByteBuffer.allocate(8).putLong(origin.offset()).array());
        }
        headers.add(KafkaHeaders.DLT_ORIGINAL_TOPIC, utf8(topic));
        headers.add(KafkaHeaders.DLT_EXCEPTION_FQCN, utf8(exceptionClass));
        headers.add(KafkaHeaders.DLT_EXCEPTION_MESSAGE, utf8(message));
        headers.add(DLT_REASON, utf8(reason));
        log.warn("dead-lettering {} from {}: {} ({})", key, topic, message, reason);
        send(new ProducerRecord<>(Topics.deadLetter(topic), null, key, value, headers));
    }

    private void send(ProducerRecord<String, byte[]> record) {
        try {
            template.send(record).whenComplete((result, ex) -> completed(record, ex));
        } catch (RuntimeException ex) {
            failed(record, ex);
        }
    }

    private void completed(ProducerRecord<String, byte[]> record, Throwable ex) {
        if (ex == null) {
            onDelivered.accept(record.topic());
        } else {
            failed(record, ex);
        }
    }

    private void failed(ProducerRecord<String, byte[]> record, Throwable ex) {
        log.error("could not publish {} to {}: {}", record.key(), record.topic(), ex.toString());
        onFailure.run();
    }

    private static byte[] utf8(String s) {
        return (s == null ? "" : s).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void destroy() {
        retryTimer.shutdownNow();
        factory.destroy();
    }
}
