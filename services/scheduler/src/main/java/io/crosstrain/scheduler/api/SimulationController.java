package io.crosstrain.scheduler.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.ArrayList;
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
 * What-if planning: plans a job on a cluster given in the request (ARCHITECTURE.md §5) without touching the
 * inventory or any running job. A job that cannot be placed is a valid answer (200, {@code feasible: false} and the
 * reason); a malformed request is a 400 and one naming a datacenter or chip that does not exist a 422, both
 * problem+json naming the field.
 */
@RestController
@RequestMapping("/api/v1/plans")
@Tag(name = "plans", description = "Plans: exact allocation and what-if simulation")
class SimulationController {

    private final ClusterPlanner planner;
    private final JsonMapper strict;

    SimulationController(ClusterPlanner planner, JsonMapper json) {
        this.planner = planner;
        // a misspelt optional field would otherwise be dropped silently and the plan made without it
        this.strict = json.rebuild().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    }

    @Operation(summary = "Simulate a plan for any cluster without running it")
    @PostMapping("/simulate")
    SimulationResponse simulate(@RequestBody JsonNode body) {
        ClusterPlanner.Request request = SimulationValidator.validate(read(body), planner.catalogue());
        ClusterPlanner.Result result;
        try {
            result = planner.plan(request);
        } catch (IllegalArgumentException e) {
            // the validator should have caught it; still the client's request, not a server fault
            throw RequestRejectedException.invalid(List.of(new FieldError("body", e.getMessage())));
        }
        SimulationResponse response = SimulationResponse.of(result);
        List<String> assumptions = new ArrayList<>();
        assumptions.add("every figure is a prediction of the cost model, not a measurement");
        assumptions.addAll(response.assumptions());
        return new SimulationResponse(response.feasible(), response.reason(), response.devices(),
                response.datacenters(), response.predicted(), List.copyOf(assumptions));
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
