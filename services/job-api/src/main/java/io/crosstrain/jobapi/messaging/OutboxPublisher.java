package io.crosstrain.jobapi.messaging;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.SendResult;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.crosstrain.contracts.Topics;
import io.crosstrain.jobapi.config.JobApiProperties;
import io.crosstrain.jobapi.persistence.OutboxRepository;

/**
 * Sends outbox rows to {@link Topics#JOB_EVENTS} (key = jobId) in id order and marks them published once the broker
 * has acknowledged them. Delivery is at least once: a crash between the ack and the commit re-sends rows, which
 * consumers recognise by the event's {@code eventId}.
 */
@Component
class OutboxPublisher {

    private static final Logger log = LoggerFactory.getLogger(OutboxPublisher.class);

    private final OutboxRepository outbox;
    private final KafkaTemplate<String, String> kafka;
    private final TransactionTemplate tx;
    private final JobApiProperties.Outbox settings;
    private final Clock clock;

    OutboxPublisher(OutboxRepository outbox, KafkaTemplate<String, String> kafka, TransactionTemplate tx,
                    JobApiProperties properties, Clock clock) {
        this.outbox = outbox;
        this.kafka = kafka;
        this.tx = tx;
        this.settings = properties.outbox();
        this.clock = clock;
    }

    @Scheduled(fixedDelayString = "${crosstrain.job-api.outbox.interval-ms:100}")
    void publishPending() {
        try {
            // drain full batches at once so a burst of events does not trickle out one interval at a time
            while (Boolean.TRUE.equals(tx.execute(status -> publishBatch()))) {
                // keep going
            }
        } catch (RuntimeException e) {
            log.warn("publishing job events failed, will retry: {}", e.toString());
        }
    }

    /** @return true when a full batch went out and more rows may be waiting */
    boolean publishBatch() {
        List<OutboxRepository.Row> rows = outbox.lockUnpublished(settings.batchSize());
        if (rows.isEmpty()) {
            return false;
        }
        List<CompletableFuture<SendResult<String, String>>> sends = new ArrayList<>(rows.size());
        for (OutboxRepository.Row row : rows) {
            sends.add(kafka.send(Topics.JOB_EVENTS, row.jobId().toString(), row.payload()));
        }
        List<Long> published = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            try {
                sends.get(i).get(settings.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
                published.add(rows.get(i).id());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                // stop at the first failure so later rows are not marked ahead of an earlier one
                log.warn("job event {} not acknowledged: {}", rows.get(i).id(), e.toString());
                break;
            }
        }
        outbox.markPublished(published, clock.instant());
        return published.size() == rows.size() && rows.size() == settings.batchSize();
    }

    @Scheduled(fixedDelayString = "PT1H", initialDelayString = "PT1M")
    void deleteOldRows() {
        int deleted = outbox.deletePublishedBefore(clock.instant().minus(settings.keepPublished()));
        if (deleted > 0) {
            log.debug("deleted {} published outbox rows", deleted);
        }
    }
}
