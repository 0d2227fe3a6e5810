package io.crosstrain.jobapi.domain;

import java.time.Instant;

import io.crosstrain.contracts.JobState;

/** One state change of a job; {@code from} is null for the creation. */
public record HistoryEntry(JobState from, JobState to, String reason, Instant at) {
}
