package io.crosstrain.jobapi.messaging;

import org.springframework.stereotype.Component;

import io.crosstrain.kafka.InvalidRecordException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads JSON record values tolerantly (other services may add fields before we know them). A value that is not
 * the expected document becomes an {@link InvalidRecordException}, which kafka-support dead-letters at once.
 */
@Component
class KafkaJson {

    private final JsonMapper json;

    KafkaJson(JsonMapper json) {
        this.json = json.rebuild().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    }

    <T> T read(String value, Class<T> type) {
        if (value == null) {
            throw new InvalidRecordException("record without a value (expected " + type.getSimpleName() + ")");
        }
        try {
            T parsed = json.readValue(value, type);
            if (parsed == null) {
                throw new InvalidRecordException("null " + type.getSimpleName());
            }
            return parsed;
        } catch (JacksonException e) {
            throw new InvalidRecordException("not a " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }
}
