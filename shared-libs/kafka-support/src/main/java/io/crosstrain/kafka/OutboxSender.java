package io.crosstrain.kafka;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.SendResult;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The sending half of a transactional outbox: rows are read in id order inside a transaction, sent, and marked
 * published once the broker acknowledged them; whatever was not acknowledged stays and is sent again on the next
 * call. Delivery is at least once, so every payload carries an id its consumers deduplicate by.
 */
public final class OutboxSender {

    private static final Logger log = LoggerFactory.getLogger(OutboxSender.class);

    /** One outbox row: its sequence id, the record key and the JSON value. */
    public record Row(long id, String key, String payload) {
    }

    /** The table behind the outbox; called inside the sender's transaction. */
    public interface Store {
        /** Locks (FOR UPDATE SKIP LOCKED or alike) and returns up to {@code limit} unpublished rows in id order. */
        List<Row> lockUnpublished(int limit);

        void markPublished(List<Long> ids, Instant at);

        /** False when another instance is publishing this outbox right now. */
        default boolean tryLock() {
            return true;
        }
    }

    private final String topic;
    private final Store store;
    private final KafkaTemplate<String, String> kafka;
    private final TransactionTemplate tx;
    private final int batchSize;
    private final Duration sendTimeout;
    private final Clock clock;

    public OutboxSender(String topic, Store store, KafkaTemplate<String, String> kafka, TransactionTemplate tx,
                        int batchSize, Duration sendTimeout, Clock clock) {
        this.topic = topic;
        this.store = store;
        this.kafka = kafka;
        this.tx = tx;
        this.batchSize = batchSize;
        this.sendTimeout = sendTimeout;
        this.clock = clock;
    }

    /** Sends everything pending; failures are logged and left for the next call. */
    public void drain() {
        try {
            // drain full batches at once so a burst of rows does not trickle out one interval at a time
            while (Boolean.TRUE.equals(tx.execute(status -> sendBatch()))) {
                // keep going
            }
        } catch (RuntimeException e) {
            log.warn("publishing to {} failed, will retry: {}", topic, e.toString());
        }
    }

    /** @return true when a full batch went out and more rows may be waiting */
    boolean sendBatch() {
        if (!store.tryLock()) {
            return false;
        }
        List<Row> rows = store.lockUnpublished(batchSize);
        if (rows.isEmpty()) {
            return false;
        }
        List<CompletableFuture<SendResult<String, String>>> sends = new ArrayList<>(rows.size());
        for (Row row : rows) {
            sends.add(kafka.send(topic, row.key(), row.payload()));
        }
        List<Long> published = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            try {
                sends.get(i).get(sendTimeout.toMillis(), TimeUnit.MILLISECONDS);
                published.add(rows.get(i).id());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                // stop at the first failure so a later row of the same key is not marked ahead of an earlier one
                log.warn("outbox row {} for {} not acknowledged: {}", rows.get(i).id(), topic, e.toString());
                break;
            }
        }
        store.markPublished(published, clock.instant());
        return published.size() == rows.size() && rows.size() == batchSize;
    }
}
