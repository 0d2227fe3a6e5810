package io.crosstrain.jobapi.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;

import io.crosstrain.jobapi.config.JobApiProperties;
import io.crosstrain.jobapi.domain.Caller;
import io.crosstrain.jobapi.domain.Uploads;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

@RestController
@RequestMapping("/api/v1/datasets")
@Tag(name = "datasets", description = "Training text uploaded for jobs")
class DatasetController {

    private final Uploads uploads;

    DatasetController(JobApiProperties props) {
        this.uploads = new Uploads(Path.of(props.dataDir()));
    }

    @Operation(summary = "Upload UTF-8 training text (multipart field 'file', up to 32 MB)",
            description = "Answers with the dataset to put into a job spec: {\"kind\":\"path\",\"path\":"
                    + "\"uploads/<tenant>/<sha256>.txt\"}; a tenant's jobs may train only on its own uploads.")
    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    ResponseEntity<Uploads.Stored> upload(@RequestPart("file") MultipartFile file, Caller caller) {
        if (file.isEmpty()) {
            throw RequestRejectedException.invalid(List.of(new FieldError("file", "is empty")));
        }
        try {
            Uploads.Stored stored = uploads.store(file.getBytes(), caller.tenant());
            return ResponseEntity.created(URI.create("/api/v1/datasets/" + stored.sha256())).body(stored);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
