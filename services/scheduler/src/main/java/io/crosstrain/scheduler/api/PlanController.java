package io.crosstrain.scheduler.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.net.URI;
import java.util.List;
import java.util.UUID;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.scheduler.persistence.SchedulerStore;
import io.crosstrain.auth.CallerScope;

/** Read access to the plans the scheduler made. */
@RestController
@RequestMapping("/api/v1/plans")
@Tag(name = "plans", description = "Plans: exact allocation and what-if simulation")
class PlanController {

    private final SchedulerStore store;

    PlanController(SchedulerStore store) {
        this.store = store;
    }

    /**
     * The newest plan version of a job; 404 problem+json while the job has none, and for another tenant's job (a plan
     * names the job's dataset and devices) unless the caller is an admin.
     */
    @Operation(summary = "Get the latest plan of a job")
    @GetMapping("/{jobId}")
    ResponseEntity<?> latest(
            @PathVariable("jobId") String jobId,
            CallerScope caller) {
        UUID id;
        try {
            id = UUID.fromString(jobId);
        } catch (IllegalArgumentException e) {
            return problem(HttpStatus.BAD_REQUEST, "Invalid job id", "jobId is not a UUID: " + jobId, jobId);
        }
        if (!caller.admin() && !caller.sees(store.tenants(List.of(id)).get(id))) {
            return problem(HttpStatus.NOT_FOUND, "No plan", "the scheduler has no plan for job " + id, jobId);
        }
        return store.latestPlan(id)
                .<ResponseEntity<?>>map(ResponseEntity::ok)
                .orElseGet(() -> problem(HttpStatus.NOT_FOUND, "No plan",
                        "the scheduler has no plan for job " + id, jobId));
    }

    private static ResponseEntity<ProblemDetail> problem(HttpStatus status, String title, String detail,
                                                         String jobId) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(title);
        problem.setInstance(URI.create("/api/v1/plans/" + jobId.replaceAll("[^A-Za-z0-9-]", "_")));
        problem.setProperty("field", "jobId");
        return ResponseEntity.status(status).body(problem);
    }
}
