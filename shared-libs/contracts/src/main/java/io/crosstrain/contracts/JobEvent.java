package io.crosstrain.contracts;

import java.time.Instant;
import java.util.UUID;

/**
 * Published on {@link Topics#JOB_EVENTS} (key = jobId) through job-api's transactional outbox.
 *
 * @param type  SUBMITTED (carries {@code spec}), STATE_CHANGED, FINISHED
 */
public record JobEvent(UUID eventId, UUID jobId, String type, JobState state, JobSpec spec, String reason,
                       Instant at) {
    public static final String SUBMITTED = "SUBMITTED";
    public static final String STATE_CHANGED = "STATE_CHANGED";
}
