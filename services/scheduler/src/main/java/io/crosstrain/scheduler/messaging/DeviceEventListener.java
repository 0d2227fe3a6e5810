package io.crosstrain.scheduler.messaging;

import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.DeviceEvent;
import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.InvalidRecordException;
import tools.jackson.databind.json.JsonMapper;

/** Device health changes from device-inventory; a device going DOWN triggers the re-plan of the jobs holding it. */
@Component
class DeviceEventListener {

    private final JsonMapper json;
    private final Replanning replanning;

    DeviceEventListener(JsonMapper json, Replanning replanning) {
        this.json = json;
        this.replanning = replanning;
    }

    @KafkaListener(id = "scheduler-device-events", groupId = "scheduler-device-events", topics = Topics.DEVICE_EVENTS)
    void onDeviceEvent(String value) {
        if (value == null) {
            throw new InvalidRecordException("device event without a value");
        }
        DeviceEvent event = json.readValue(value, DeviceEvent.class);
        if (event == null || event.deviceId() == null || event.to() == null) {
            throw new InvalidRecordException("device event needs deviceId and to");
        }
        if (DeviceEvent.DOWN.equals(event.to())) {
            replanning.onDeviceDown(event.deviceId(), event.reason() == null ? "DOWN" : event.reason());
        }
    }
}
