package io.crosstrain.jobapi.domain;

import java.time.Instant;
import java.util.UUID;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.JobState;

/**
 * A job as stored.
 *
 * @param step        the highest step every device of the current plan has completed
 * @param planVersion version of the latest plan, null until the scheduler has planned the job
 * @param tenant      whose job it is
 */
public record Job(UUID id, String name, JobState state, String reason, int step, int steps, JobSpec spec,
                  Integer planVersion, Instant createdAt, Instant updatedAt, String tenant) {

    /** Fraction of the steps done, 0..1; a succeeded job is complete whatever its workers' step numbering. */
    public double progress() {
        if (state == JobState.SUCCEEDED) {
            return 1.0;
        }
        return steps <= 0 ? 0.0 : Math.min(1.0, Math.max(0, step) / (double) steps);
    }
}
