package io.crosstrain.jobapi.api;

import java.util.List;
import java.util.UUID;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.jobapi.domain.Caller;
import io.crosstrain.jobapi.domain.CheckpointService;
import io.crosstrain.jobapi.domain.JobService;
import io.crosstrain.jobapi.domain.ModelExport;
import io.crosstrain.jobapi.domain.ModelService;
import io.crosstrain.jobapi.domain.Report;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

@RestController
@RequestMapping("/api/v1/jobs")
@Tag(name = "checkpoints", description = "A job's checkpoints and the model they hold: export and sampling")
class CheckpointController {

    private final JobService jobs;
    private final CheckpointService checkpoints;
    private final ModelService models;

    CheckpointController(JobService jobs, CheckpointService checkpoints, ModelService models) {
        this.jobs = jobs;
        this.checkpoints = checkpoints;
        this.models = models;
    }

    @Operation(summary = "List the complete checkpoints of a job, oldest first",
            description = "A checkpoint is listed once its manifest is written, after every shard of it; older ones "
                    + "are pruned to the job's checkpoint.keep.")
    @GetMapping("/{id}/checkpoints")
    List<Report.Checkpoint> list(@PathVariable UUID id, Caller caller) {
        jobs.get(id, caller);
        return checkpoints.list(id);
    }

    @Operation(summary = "Download the trained model of a checkpoint",
            description = "A zip of model.safetensors (every parameter by name and shape, F32), config.json (the "
                    + "architecture and tokenizer) and vocab.json (the characters in token id order); with part, "
                    + "that one file. 404 when the job has no (such) checkpoint.")
    @ApiResponse(responseCode = "200", description = "The zip, or the one file asked for", content = {
            @Content(mediaType = "application/zip", schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = "application/octet-stream", schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = "application/json", schema = @Schema(type = "object"))})
    @GetMapping("/{id}/model")
    ResponseEntity<byte[]> model(@PathVariable UUID id,
                                 @Parameter(description = "the checkpoint's step; the newest when absent")
                                 @RequestParam(required = false) Long checkpoint,
                                 @Parameter(description = "one file: model.safetensors, config.json or vocab.json")
                                 @RequestParam(required = false) String part,
                                 Caller caller) {
        if (checkpoint != null && checkpoint < 0) {
            throw RequestRejectedException.invalid(List.of(new FieldError("checkpoint", "must be a step >= 0")));
        }
        ModelExport.File file = models.export(id, caller, checkpoint, part == null || part.isBlank() ? null
                : part.strip());
        return ResponseEntity.ok()
                .contentType(MediaType.parseMediaType(file.contentType()))
                .header(HttpHeaders.CONTENT_DISPOSITION,
                        ContentDisposition.attachment().filename(file.name()).build().toString())
                .body(file.bytes());
    }

    @Operation(summary = "Sample text from the newest checkpoint on job-api's CPU",
            description = "Continues the prompt by maxTokens characters (1-2000, default 200) at the temperature "
                    + "(greater than 0, at most 5, default 1), among the topK most likely characters (0 = all, at "
                    + "most the vocabulary size). The same seed gives the same text; without one a random seed is "
                    + "used and answered. A prompt character outside the job's vocabulary is a 400 naming it; a job "
                    + "without a checkpoint is a 404.")
    @PostMapping("/{id}/generate")
    ModelService.Generated generate(@PathVariable UUID id, @RequestBody ModelService.GenerateRequest body,
                                    Caller caller) {
        return models.generate(id, caller, body);
    }
}
