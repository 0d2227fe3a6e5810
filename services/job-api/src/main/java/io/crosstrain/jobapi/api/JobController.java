package io.crosstrain.jobapi.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
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
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import org.springframework.web.util.UriComponentsBuilder;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.jobapi.domain.Caller;
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
    static final int MAX_OFFSET = 1_000_000;

    private final JobService jobs;
    private final JobEventStreams streams;

    JobController(JobService jobs, JobEventStreams streams) {
        this.jobs = jobs;
        this.streams = streams;
    }

    @Operation(summary = "Submit a training job",
            description = "With an Idempotency-Key header a retried submit returns the job the first one made "
                    + "(201 again, with Idempotent-Replayed: true); the same key with another spec is refused (422).")
    @PostMapping
    ResponseEntity<JobView> submit(@RequestBody JobSpec spec,
                                   @RequestHeader(value = "Idempotency-Key", required = false) String idempotencyKey,
                                   Caller caller) {
        JobService.Submitted submitted = jobs.submit(spec, caller, idempotencyKey);
        JobView job = JobView.of(submitted.job());
        return ResponseEntity.created(URI.create("/api/v1/jobs/" + job.id()))
                .header("Idempotent-Replayed", Boolean.toString(submitted.replayed()))
                .body(job);
    }

    /** Newest first; {@code X-Total-Count} and a {@code Link: rel="next"} header page through the rest. */
    @Operation(summary = "List jobs, newest first, by state and page (limit, offset)")
    @GetMapping
    ResponseEntity<List<JobView>> list(@RequestParam(required = false) String state,
                                       @RequestParam(required = false) String tenant,
                                       @RequestParam(defaultValue = "100") int limit,
                                       @RequestParam(defaultValue = "0") int offset,
                                       Caller caller) {
        JobState wanted = parseState(state);
        int pageSize = bounded("limit", limit, 1, MAX_JOBS);
        int skip = bounded("offset", offset, 0, MAX_OFFSET);
        JobService.Page page = jobs.list(wanted, pageSize, skip, caller, blank(tenant) ? null : tenant.strip());
        ResponseEntity.BodyBuilder ok = ResponseEntity.ok().header("X-Total-Count", Long.toString(page.total()));
        if (skip + page.jobs().size() < page.total()) {
            UriComponentsBuilder next = UriComponentsBuilder.fromPath("/api/v1/jobs")
                    .queryParam("limit", pageSize).queryParam("offset", skip + pageSize);
            if (wanted != null) {
                next.queryParam("state", wanted.name());
            }
            if (!blank(tenant)) {
                next.queryParam("tenant", tenant.strip());
            }
            ok.header("Link", "<" + next.build().toUriString() + ">; rel=\"next\"");
        }
        return ok.body(page.jobs().stream().map(JobView::of).toList());
    }

    @Operation(summary = "Get one job with its state and progress")
    @GetMapping("/{id}")
    JobView get(@PathVariable UUID id, Caller caller) {
        return JobView.of(jobs.get(id, caller));
    }

    record CancelRequest(String reason) {
    }

    @Operation(summary = "Cancel a job",
            description = "A pending or suspended job is CANCELLED at once; a planned or running one goes to "
                    + "CANCELLING and becomes CANCELLED when every worker has stopped after the same committed round.")
    @PostMapping("/{id}/cancel")
    ResponseEntity<JobView> cancel(@PathVariable UUID id, @RequestBody(required = false) CancelRequest body,
                                   Caller caller) {
        return ResponseEntity.accepted().body(JobView.of(jobs.cancel(id, caller, body == null ? null : body.reason())));
    }

    @Operation(summary = "Resume a suspended job from its last checkpoint",
            description = "Only for a SUSPENDED job (every device was lost), else 409. Asks the scheduler to place it "
                    + "now (RESUME_REQUESTED on job-events); the job stays SUSPENDED until a plan resumes it.")
    @ApiResponse(responseCode = "202", description = "Resume requested; the job as it is",
            content = @Content(mediaType = "application/json", schema = @Schema(implementation = JobView.class)))
    @ApiResponse(responseCode = "409", description = "The job is not SUSPENDED",
            content = @Content(mediaType = "application/problem+json",
                    schema = @Schema(ref = "#/components/schemas/Problem")))
    @PostMapping("/{id}/resume")
    ResponseEntity<JobView> resume(@PathVariable UUID id, Caller caller) {
        return ResponseEntity.accepted().body(JobView.of(jobs.resume(id, caller)));
    }

    @Operation(summary = "Follow a job as Server-Sent Events (state, progress, end)")
    @GetMapping(value = "/{id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    SseEmitter events(@PathVariable UUID id, Caller caller) {
        jobs.get(id, caller); // 404 before the stream opens
        return streams.open(id, caller);
    }

    @Operation(summary = "List the state changes of a job")
    @GetMapping("/{id}/history")
    List<HistoryEntry> history(@PathVariable UUID id, Caller caller) {
        return jobs.history(id, caller);
    }

    /** The latest plan, passed through as the scheduler wrote it. */
    @Operation(summary = "Get the latest plan of a job (which device got which batch)")
    @ApiResponse(responseCode = "200", description = "The plan, as the scheduler wrote it",
            content = @Content(mediaType = "application/json",
                    schema = @Schema(implementation = io.crosstrain.contracts.Plan.class)))
    @GetMapping(value = "/{id}/plan", produces = MediaType.APPLICATION_JSON_VALUE)
    String plan(@PathVariable UUID id, Caller caller) {
        return jobs.planJson(id, caller);
    }

    @Operation(summary = "List the step metrics of a job")
    @GetMapping("/{id}/metrics")
    List<StepMetric> metrics(@PathVariable UUID id, @RequestParam(defaultValue = "0") int fromStep,
                             @RequestParam(defaultValue = "10000") int limit, Caller caller) {
        return jobs.metrics(id, fromStep, bounded("limit", limit, 1, MAX_METRICS), caller);
    }

    @Operation(summary = "Get the efficiency report of a job")
    @GetMapping("/{id}/report")
    Report report(@PathVariable UUID id, Caller caller) {
        return jobs.report(id, caller);
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

    private static int bounded(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw RequestRejectedException.invalid(List.of(new FieldError(field,
                    "must be between " + min + " and " + max)));
        }
        return value;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
