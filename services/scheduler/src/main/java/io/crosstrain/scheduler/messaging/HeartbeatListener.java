package io.crosstrain.scheduler.messaging;

import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.Heartbeat;
import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.InvalidRecordException;
import io.crosstrain.scheduler.domain.Activity;
import tools.jackson.databind.json.JsonMapper;

/**
 * Device heartbeats, for the orphan rule: a device counts as up while its heartbeats are fresh. Group
 * {@code scheduler-heartbeats} starts at the end of the topic (only recent beats matter), and a beat is dated by its
 * worker's stamp, so a backlog read after a restart does not make a long-dead device look alive.
 */
@Component
class HeartbeatListener {

    private final JsonMapper json;
    private final Activity activity;

    HeartbeatListener(JsonMapper json, Activity activity) {
        this.json = json;
        this.activity = activity;
    }

    @KafkaListener(id = "scheduler-heartbeats", groupId = "scheduler-heartbeats", topics = Topics.DEVICE_HEARTBEATS,
            properties = "auto.offset.reset=latest")
    void onHeartbeat(String value) {
        if (value == null) {
            return; // a tombstone on the compacted topic: nothing beats
        }
        Heartbeat hb = json.readValue(value, Heartbeat.class);
        if (hb == null || hb.deviceId() == null) {
            throw new InvalidRecordException("heartbeat without deviceId");
        }
        activity.heartbeat(hb.deviceId(), hb.at());
    }
}
