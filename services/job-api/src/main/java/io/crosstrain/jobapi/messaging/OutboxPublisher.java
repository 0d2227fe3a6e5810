package io.crosstrain.jobapi.messaging;

import java.time.Clock;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.crosstrain.contracts.Topics;
import io.crosstrain.jobapi.config.JobApiProperties;
import io.crosstrain.jobapi.persistence.OutboxRepository;
import io.crosstrain.kafka.OutboxSender;

/**
 * Sends outbox rows to {@link Topics#JOB_EVENTS} (key = jobId) in id order and marks them published once the broker
 * has acknowledged them. Delivery is at least once: a crash between the ack and the commit re-sends rows, which
 * consumers recognise by the event's {@code eventId}.
 */
@Component
class OutboxPublisher {

    private static final Logger log = LoggerFactory.getLogger(OutboxPublisher.class);

    private final OutboxRepository outbox;
    private final JobApiProperties.Outbox settings;
    private final Clock clock;
    private final OutboxSender sender;

    OutboxPublisher(OutboxRepository outbox, KafkaTemplate<String, String> kafka, TransactionTemplate tx,
                    JobApiProperties properties, Clock clock) {
        this.outbox = outbox;
        this.settings = properties.outbox();
        this.clock = clock;
        this.sender = new OutboxSender(Topics.JOB_EVENTS, new OutboxSender.Store() {
            @Override
            public List<OutboxSender.Row> lockUnpublished(int limit) {
                return outbox.lockUnpublished(limit).stream()
                        .map(r -> new OutboxSender.Row(r.id(), r.jobId().toString(), r.payload())).toList();
            }

            @Override
            public void markPublished(List<Long> ids, java.time.Instant at) {
                outbox.markPublished(ids, at);
            }
        }, kafka, tx, settings.batchSize(), settings.sendTimeout(), clock);
    }

    @Scheduled(fixedDelayString = "${crosstrain.job-api.outbox.interval-ms:100}")
    void publishPending() {
        sender.drain();
    }

    @Scheduled(fixedDelayString = "PT1H", initialDelayString = "PT1M")
    void deleteOldRows() {
        int deleted = outbox.deletePublishedBefore(clock.instant().minus(settings.keepPublished()));
        if (deleted > 0) {
            log.debug("deleted {} published outbox rows", deleted);
        }
    }
}
