package io.crosstrain.inventory.messaging;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.crosstrain.contracts.Topics;
import io.crosstrain.inventory.config.InventoryProperties;
import io.crosstrain.inventory.persistence.DeviceEventRepository;
import io.crosstrain.kafka.OutboxSender;

/**
 * Sends outbox rows to {@link Topics#DEVICE_EVENTS} (key = deviceId) in id order and marks them published once the
 * broker has acknowledged them; rows that were not acknowledged stay and are sent again next round. Delivery is at
 * least once: consumers recognise a repeat by the event's {@code eventId}.
 */
@Component
class DeviceEventPublisher {

    private final OutboxSender sender;

    DeviceEventPublisher(DeviceEventRepository events, KafkaTemplate<String, String> kafka, TransactionTemplate tx,
                         InventoryProperties properties, Clock clock) {
        InventoryProperties.Outbox settings = properties.outbox();
        this.sender = new OutboxSender(Topics.DEVICE_EVENTS, new OutboxSender.Store() {
            @Override
            public List<OutboxSender.Row> lockUnpublished(int limit) {
                return events.lockUnpublished(limit).stream()
                        .map(r -> new OutboxSender.Row(r.id(), r.deviceId(), r.payload())).toList();
            }

            @Override
            public void markPublished(List<Long> ids, Instant at) {
                events.markPublished(ids, at);
            }

            @Override
            public boolean tryLock() {
                return events.tryPublisherLock(); // one instance publishes, so events stay in order
            }
        }, kafka, tx, settings.batchSize(), settings.sendTimeout(), clock);
    }

    @Scheduled(fixedDelayString = "${crosstrain.inventory.outbox.interval:100ms}")
    void publishPending() {
        sender.drain();
    }
}
