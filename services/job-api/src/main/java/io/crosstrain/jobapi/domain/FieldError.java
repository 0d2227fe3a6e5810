package io.crosstrain.jobapi.domain;

/** One rejected request field, by its JSON path ({@code model.dModel}, {@code devices[1]}). */
public record FieldError(String field, String message) {
}
