package io.crosstrain.contracts;

import java.time.Instant;
import java.util.UUID;

/**
 * Published on {@link Topics#JOB_EVENTS} (key = jobId) through job-api's transactional outbox.
 *
 * @param type       SUBMITTED (carries {@code spec}), STATE_CHANGED, CHECKPOINTED (carries {@code checkpoint}: a
 *                   complete checkpoint exists), RESUME_REQUESTED (a user asked a SUSPENDED job to resume now)
 * @param checkpoint the checkpoint of a CHECKPOINTED event; else null
 */
public record JobEvent(UUID eventId, UUID jobId, String type, JobState state, JobSpec spec, String reason,
                       Instant at, CheckpointRef checkpoint) {
    public static final String SUBMITTED = "SUBMITTED";
    public static final String STATE_CHANGED = "STATE_CHANGED";
    public static final String CHECKPOINTED = "CHECKPOINTED";
    public static final String RESUME_REQUESTED = "RESUME_REQUESTED";

    /** Every event type but CHECKPOINTED. */
    public JobEvent(UUID eventId, UUID jobId, String type, JobState state, JobSpec spec, String reason, Instant at) {
        this(eventId, jobId, type, state, spec, reason, at, null);
    }
}
