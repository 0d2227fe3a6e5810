package io.crosstrain.jobapi.api;

import java.util.List;
import java.util.Map;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

@RestController
@RequestMapping("/api/v1/models")
@Tag(name = "models", description = "The built-in model sizes a job spec can name")
class ModelController {

    /** The bundled corpus's character set, the vocabulary most jobs train with. */
    static final int BUNDLED_VOCAB = 66;

    @Operation(summary = "List the built-in model sizes with their parameter counts")
    @GetMapping
    List<Map<String, Object>> sizes(@RequestParam(defaultValue = "" + BUNDLED_VOCAB) int vocab) {
        if (vocab < 2 || vocab > 1_000_000) {
            throw RequestRejectedException.invalid(List.of(new FieldError("vocab", "must be between 2 and 1000000")));
        }
        return ModelSpec.sizes(vocab);
    }
}
