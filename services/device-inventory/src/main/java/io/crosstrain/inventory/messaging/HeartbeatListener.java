package io.crosstrain.inventory.messaging;

import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.Heartbeat;
import io.crosstrain.contracts.Topics;
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
class HeartbeatListener {

    private final InventoryService inventory;
    private final JsonMapper json;

    HeartbeatListener(InventoryService inventory, JsonMapper json) {
        this.inventory = inventory;
        // tolerant reader: newer workers may add fields to the heartbeat
        this.json = json.rebuild().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    }

    @KafkaListener(id = "inventory-heartbeats", topics = Topics.DEVICE_HEARTBEATS, groupId = "device-inventory")
    void onHeartbeat(String value) {
        inventory.heartbeat(parse(value));
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
