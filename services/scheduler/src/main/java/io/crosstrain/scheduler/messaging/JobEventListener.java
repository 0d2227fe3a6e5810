package io.crosstrain.scheduler.messaging;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.CheckpointRef;
import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.InvalidRecordException;
import io.crosstrain.scheduler.domain.Activity;
import io.crosstrain.scheduler.persistence.SchedulerStore;
import tools.jackson.databind.json.JsonMapper;

/**
 * Consumes job events: SUBMITTED ones go to {@link JobScheduling}; state changes are remembered; CHECKPOINTED and
 * RESUME_REQUESTED go to {@link Suspensions}. Unreadable records raise an exception that kafka-support's error
 * handler sends straight to {@code crosstrain.job-events.DLT}.
 */
@Component
class JobEventListener {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(JobEventListener.class);

    private final JsonMapper json;
    private final JobScheduling scheduling;
    private final SchedulerStore store;
    private final Replanning replanning;
    private final Rebalancing rebalancing;
    private final Suspensions suspensions;
    private final Activity activity;

    JobEventListener(JsonMapper json, JobScheduling scheduling, SchedulerStore store, Replanning replanning,
                     Rebalancing rebalancing, Suspensions suspensions, Activity activity) {
        this.json = json;
        this.scheduling = scheduling;
        this.store = store;
        this.replanning = replanning;
        this.rebalancing = rebalancing;
        this.suspensions = suspensions;
        this.activity = activity;
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
        if (JobEvent.STATE_CHANGED.equals(event.type())) {
            if (event.jobId() == null || event.state() == null) {
                throw new InvalidRecordException("STATE_CHANGED event needs jobId and state");
            }
            // which jobs still run decides what a device failure or a rebalance re-plans
            store.recordJobState(event.jobId(), event.state().name());
            if (event.state() == JobState.SUSPENDED) {
                suspensions.onSuspendedState(event.jobId());
            }
            if (event.state().terminal()) {
                replanning.forget(event.jobId());
                rebalancing.forget(event.jobId());
                activity.forget(event.jobId());
            }
            return;
        }
        if (JobEvent.CHECKPOINTED.equals(event.type())) {
            CheckpointRef c = event.checkpoint();
            if (event.jobId() == null || c == null || c.manifest() == null || c.step() < 0) {
                throw new InvalidRecordException("CHECKPOINTED event needs jobId and a checkpoint with a manifest");
            }
            suspensions.onCheckpointed(event.jobId(), c);
            return;
        }
        if (JobEvent.RESUME_REQUESTED.equals(event.type())) {
            if (event.jobId() == null) {
                throw new InvalidRecordException("RESUME_REQUESTED event needs jobId");
            }
            if (suspensions.onResumeRequested(event.jobId())) {
                scheduling.admit(); // now, not at the next pass; if it cannot be placed it stays suspended
            } else {
                log.info("job {}: resume requested, but it is not suspended here", event.jobId());
            }
            return;
        }
        if (!JobEvent.SUBMITTED.equals(event.type())) {
            return;
        }
        if (event.eventId() == null || event.jobId() == null || event.spec() == null) {
            throw new InvalidRecordException("SUBMITTED event needs eventId, jobId and spec");
        }
        scheduling.onSubmitted(event);
    }
}
