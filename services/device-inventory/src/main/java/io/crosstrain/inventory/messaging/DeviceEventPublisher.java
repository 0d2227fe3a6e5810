package io.crosstrain.inventory.messaging;

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
import io.crosstrain.inventory.config.InventoryProperties;
import io.crosstrain.inventory.persistence.DeviceEventRepository;

/**
 * Sends outbox rows to {@link Topics#DEVICE_EVENTS} (key = deviceId) in id order and marks them published once the
 * broker has acknowledged them; rows that were not acknowledged stay and are sent again next round. Delivery is at
 * least once: consumers recognise a repeat by the event's {@code eventId}.
 */
@Component
class DeviceEventPublisher {

    private static final Logger log = LoggerFactory.getLogger(DeviceEventPublisher.class);

    private final DeviceEventRepository events;
    private final KafkaTemplate<String, String> kafka;
    private final TransactionTemplate tx;
    private final InventoryProperties.Outbox settings;
    private final Clock clock;

    DeviceEventPublisher(DeviceEventRepository events, KafkaTemplate<String, String> kafka, TransactionTemplate tx,
                         InventoryProperties properties, Clock clock) {
        this.events = events;
        this.kafka = kafka;
        this.tx = tx;
        this.settings = properties.outbox();
        this.clock = clock;
    }

    @Scheduled(fixedDelayString = "${crosstrain.inventory.outbox.interval:100ms}")
    void publishPending() {
        try {
            // drain full batches at once so a burst of events does not trickle out one interval at a time
            while (Boolean.TRUE.equals(tx.execute(status -> publishBatch()))) {
                // keep going
            }
        } catch (RuntimeException e) {
            log.warn("publishing device events failed, will retry: {}", e.toString());
        }
    }

    /** @return true when a full batch went out and more rows may be waiting */
    boolean publishBatch() {
        if (!events.tryPublisherLock()) {
            return false; // another instance is publishing
        }
        List<DeviceEventRepository.Row> rows = events.lockUnpublished(settings.batchSize());
        if (rows.isEmpty()) {
            return false;
        }
        List<CompletableFuture<SendResult<String, String>>> sends = new ArrayList<>(rows.size());
        for (DeviceEventRepository.Row row : rows) {
            sends.add(kafka.send(Topics.DEVICE_EVENTS, row.deviceId(), row.payload()));
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
                // stop at the first failure so a later event of a device is not marked ahead of an earlier one
                log.warn("device event {} not acknowledged: {}", rows.get(i).id(), e.toString());
                break;
            }
        }
        events.markPublished(published, clock.instant());
        return published.size() == rows.size() && rows.size() == settings.batchSize();
    }
}
