package io.crosstrain.scheduler.messaging;

import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.DeviceEvent;
import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.InvalidRecordException;
import io.crosstrain.scheduler.config.SchedulerProperties;
import tools.jackson.databind.json.JsonMapper;

/**
 * Device health changes from device-inventory: a device going DOWN re-plans the jobs holding it; a device becoming
 * HEALTHY may join a running job (elastic).
 */
@Component
class DeviceEventListener {

    private final JsonMapper json;
    private final Replanning replanning;
    private final SchedulerProperties props;

    DeviceEventListener(JsonMapper json, Replanning replanning, SchedulerProperties props) {
        this.json = json;
        this.replanning = replanning;
        this.props = props;
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
        } else if (DeviceEvent.HEALTHY.equals(event.to()) && props.elastic()) {
            replanning.onDeviceAvailable(event.deviceId(), props.rebalance().lead());
        }
    }
}
