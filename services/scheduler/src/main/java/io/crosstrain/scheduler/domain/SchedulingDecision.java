package io.crosstrain.scheduler.domain;

import java.util.UUID;

import io.crosstrain.contracts.Plan;

/** What the scheduler concluded about a submitted job. */
public sealed interface SchedulingDecision {

    UUID jobId();

    record Planned(Plan plan) implements SchedulingDecision {
        @Override
        public UUID jobId() {
            return plan.jobId();
        }
    }

    record Rejected(UUID jobId, String reason) implements SchedulingDecision {
    }
}
