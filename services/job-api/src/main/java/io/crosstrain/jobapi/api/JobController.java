package io.crosstrain.jobapi.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.jobapi.domain.HistoryEntry;
import io.crosstrain.jobapi.domain.JobService;
import io.crosstrain.jobapi.domain.Report;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

@RestController
@RequestMapping("/api/v1/jobs")
@Tag(name = "jobs", description = "Training jobs: submit, follow, report")
class JobController {

    static final int MAX_JOBS = 1000;
    static final int MAX_METRICS = 50_000;

    private final JobService jobs;

    JobController(JobService jobs) {
        this.jobs = jobs;
    }

    @Operation(summary = "Submit a training job")
    @PostMapping
    ResponseEntity<JobView> submit(@RequestBody JobSpec spec) {
        JobView job = JobView.of(jobs.submit(spec));
        return ResponseEntity.created(URI.create("/api/v1/jobs/" + job.id())).body(job);
    }

    /** Newest first. */
    @Operation(summary = "List jobs, newest first, optionally by state")
    @GetMapping
    List<JobView> list(@RequestParam(required = false) String state,
                       @RequestParam(defaultValue = "100") int limit) {
        return jobs.list(parseState(state), bounded("limit", limit, MAX_JOBS)).stream().map(JobView::of).toList();
    }

    @Operation(summary = "Get one job with its state and progress")
    @GetMapping("/{id}")
    JobView get(@PathVariable UUID id) {
        return JobView.of(jobs.get(id));
    }

    @Operation(summary = "List the state changes of a job")
    @GetMapping("/{id}/history")
    List<HistoryEntry> history(@PathVariable UUID id) {
        return jobs.history(id);
    }

    /** The latest plan, passed through as the scheduler wrote it. */
    @Operation(summary = "Get the latest plan of a job (which device got which batch)")
    @GetMapping(value = "/{id}/plan", produces = MediaType.APPLICATION_JSON_VALUE)
    String plan(@PathVariable UUID id) {
        return jobs.planJson(id);
    }

    @Operation(summary = "List the step metrics of a job")
    @GetMapping("/{id}/metrics")
    List<StepMetric> metrics(@PathVariable UUID id, @RequestParam(defaultValue = "0") int fromStep,
                             @RequestParam(defaultValue = "10000") int limit) {
        return jobs.metrics(id, fromStep, bounded("limit", limit, MAX_METRICS));
    }

    @Operation(summary = "Get the efficiency report of a job")
    @GetMapping("/{id}/report")
    Report report(@PathVariable UUID id) {
        return jobs.report(id);
    }

    private static JobState parseState(String state) {
        if (state == null || state.isBlank()) {
            return null;
        }
        try {
            return JobState.valueOf(state.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw RequestRejectedException.invalid(List.of(new FieldError("state",
                    "must be one of " + List.of(JobState.values()))));
        }
    }

    private static int bounded(String field, int value, int max) {
        if (value < 1 || value > max) {
            throw RequestRejectedException.invalid(List.of(new FieldError(field, "must be between 1 and " + max)));
        }
        return value;
    }
}
