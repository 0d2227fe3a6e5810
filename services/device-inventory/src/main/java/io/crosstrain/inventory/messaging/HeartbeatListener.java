package io.crosstrain.inventory.messaging;

import java.util.Collection;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.ConsumerSeekAware;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.Heartbeat;
import io.crosstrain.contracts.Topics;
import io.crosstrain.inventory.domain.HealthTracker;
import io.crosstrain.inventory.domain.Ids;
import io.crosstrain.inventory.domain.InventoryService;
import io.crosstrain.kafka.InvalidRecordException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads worker heartbeats. A record that is not a heartbeat (bad JSON, no device id, negative figures) can never
 * succeed, so it is thrown as non-retryable and kafka-support dead-letters it; the consumer moves on.
 */
@Component
class HeartbeatListener implements ConsumerSeekAware {

    private final InventoryService inventory;
    private final HealthTracker health;
    private final JsonMapper json;

    HeartbeatListener(InventoryService inventory, HealthTracker health, JsonMapper json) {
        this.inventory = inventory;
        this.health = health;
        // tolerant reader: newer workers may add fields to the heartbeat
        this.json = json.rebuild().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    }

    @KafkaListener(id = "inventory-heartbeats", topics = Topics.DEVICE_HEARTBEATS, groupId = "device-inventory")
    void onHeartbeat(String value) {
        inventory.heartbeat(parse(value));
    }

    /** Silence is judged only by an instance that reads heartbeats ({@link HealthTracker#candidates}). */
    @Override
    public void onPartitionsAssigned(Map<TopicPartition, Long> assignments, ConsumerSeekCallback callback) {
        if (!assignments.isEmpty()) {
            health.readingHeartbeats(true);
        }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        health.readingHeartbeats(false);
    }

    Heartbeat parse(String value) {
        if (value == null) {
            throw new InvalidRecordException("heartbeat without a value");
        }
        Heartbeat hb = json.readValue(value, Heartbeat.class);
        if (hb == null || !Ids.valid(hb.deviceId())) {
            throw new InvalidRecordException("heartbeat without a valid deviceId");
        }
        if (hb.cpuFlopsPerSec() < 0 || Double.isNaN(hb.cpuFlopsPerSec()) || Double.isInfinite(hb.cpuFlopsPerSec())
                || hb.hostCores() < 0) {
            throw new InvalidRecordException("heartbeat of " + hb.deviceId() + " has negative or non-finite figures");
        }
        return hb;
    }
}
