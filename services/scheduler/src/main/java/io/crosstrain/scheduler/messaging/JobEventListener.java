package io.crosstrain.scheduler.messaging;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.InvalidRecordException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Consumes job events and hands SUBMITTED ones to {@link JobScheduling}. Unreadable records raise an exception that
 * kafka-support's error handler sends straight to {@code crosstrain.job-events.DLT}.
 */
@Component
class JobEventListener {

    private final JsonMapper json;
    private final JobScheduling scheduling;

    JobEventListener(JsonMapper json, JobScheduling scheduling) {
        this.json = json;
        this.scheduling = scheduling;
    }

    @KafkaListener(id = "scheduler-job-events", idIsGroup = false, topics = Topics.JOB_EVENTS)
    void onJobEvent(ConsumerRecord<String, String> record) {
        if (record.value() == null) {
            throw new InvalidRecordException("job event without a value");
        }
        JobEvent event = json.readValue(record.value(), JobEvent.class);
        if (event == null || event.type() == null) {
            throw new InvalidRecordException("job event without a type");
        }
        if (!JobEvent.SUBMITTED.equals(event.type())) {
            return; // state changes are job-api's business; re-planning on failures is a later issue
        }
        if (event.eventId() == null || event.jobId() == null || event.spec() == null) {
            throw new InvalidRecordException("SUBMITTED event needs eventId, jobId and spec");
        }
        scheduling.onSubmitted(event);
    }
}
