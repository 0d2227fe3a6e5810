package io.crosstrain.jobapi.api;

import java.time.Instant;
import java.util.UUID;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.JobState;
import io.crosstrain.jobapi.domain.Job;

/** A job as the API shows it. {@code progress} is 0..1; {@code reason} explains the current state. */
record JobView(UUID id, String name, String tenant, JobState state, int step, int steps, double progress,
               String reason, Integer planVersion, Instant createdAt, Instant updatedAt, JobSpec spec) {

    static JobView of(Job job) {
        return new JobView(job.id(), job.name(), job.tenant(), job.state(), job.step(), job.steps(), job.progress(),
                job.reason(), job.planVersion(), job.createdAt(), job.updatedAt(), job.spec());
    }
}
