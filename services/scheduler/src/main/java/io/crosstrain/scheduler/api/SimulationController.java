package io.crosstrain.scheduler.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import java.util.stream.Collectors;

import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.planner.ClusterPlanner;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;

/**
 * What-if planning: plans a job on a cluster given in the request (docs/architecture.md §5 and §11) without touching
 * the inventory or any running job, with the one planner the scheduler's published plans come from. A job that cannot
 * be placed is a valid answer (200, {@code feasible: false} and the reason); a malformed request is a 400 and one
 * naming a datacenter, chip or model preset that does not exist a 422, both problem+json naming the field.
 */
@RestController
@RequestMapping("/api/v1/plans")
@Tag(name = "plans", description = "Plans: exact allocation and what-if simulation")
class SimulationController {

    private final ClusterPlanner planner;
    private final JsonMapper strict;

    SimulationController(ClusterPlanner planner, JsonMapper json) {
        this.planner = planner;
        // a misspelt optional field would otherwise be dropped silently and the plan made without it, and a
        // fractional count (stages 1.5, globalBatch 8.5) truncated
        this.strict = json.rebuild().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT).build();
    }

    @Operation(summary = "Simulate a plan for any cluster without running it",
            description = "Plans the job on the cluster in the body with the planner the scheduler uses for its "
                    + "published plans, and runs nothing. The model is given by preset name (\"model\": \"13b\"), "
                    + "by shape, or by parametersM with tokensPerSample (and optionally layers). Every datacenter is "
                    + "laid out as whole replicas or as pipelined replicas whose stages span several devices (forced "
                    + "with job.stages); device memory can be scaled with job.memoryScale. The answer gives each "
                    + "datacenter's layout (replicas, their stages with layers, parameters, memory and capacity, "
                    + "step time, pipeline bubble, η against the equal layer split and data parallelism alone) and "
                    + "the strategy across datacenters with H. A job that cannot be planned is a 200 with feasible "
                    + "false and the reason; a malformed request is a 400, one naming a datacenter, chip or model "
                    + "preset that does not exist a 422.")
    @ApiResponse(responseCode = "200", description = "The plan, or why the job cannot be planned",
            content = @Content(mediaType = "application/json",
                    schema = @Schema(implementation = SimulationResponse.class)))
    @ApiResponse(responseCode = "422", description = "The request names a datacenter, chip or model preset that "
            + "does not exist; the problem names the field", content = @Content(
                    mediaType = "application/problem+json", schema = @Schema(ref = "#/components/schemas/Problem")))
    @PostMapping("/simulate")
    SimulationResponse simulate(@io.swagger.v3.oas.annotations.parameters.RequestBody(required = true,
            description = "The cluster and the job", content = @Content(mediaType = "application/json",
                    schema = @Schema(implementation = SimulationRequest.class)))
                                @RequestBody JsonNode body) {
        SimulationValidator.Validated valid = SimulationValidator.validate(read(body), planner.catalogue());
        ClusterPlanner.Result result;
        try {
            result = planner.plan(valid.request());
        } catch (IllegalArgumentException e) {
            // the validator should have caught it; still the client's request, not a server fault
            throw RequestRejectedException.invalid(List.of(new FieldError("body", e.getMessage())));
        }
        return SimulationResponse.of(valid.request(), result, valid.notes());
    }

    private SimulationRequest read(JsonNode body) {
        try {
            return strict.treeToValue(body, SimulationRequest.class);
        } catch (UnrecognizedPropertyException e) {
            String path = path(e);
            throw RequestRejectedException.invalid(List.of(new FieldError(path.isEmpty() ? e.getPropertyName() : path,
                    "unknown field")));
        } catch (JacksonException e) {
            String path = path(e);
            throw RequestRejectedException.invalid(List.of(new FieldError(path.isEmpty() ? "body" : path,
                    "missing, null or of the wrong type")));
        }
    }

    /** JSON path of the offending value, e.g. {@code devices[2].samplesPerSec}. */
    private static String path(JacksonException e) {
        return e.getPath().stream()
                .map(r -> r.getPropertyName() != null ? "." + r.getPropertyName()
                        : r.getIndex() >= 0 ? "[" + r.getIndex() + "]" : "")
                .collect(Collectors.joining())
                .replaceFirst("^\\.", "");
    }
}
