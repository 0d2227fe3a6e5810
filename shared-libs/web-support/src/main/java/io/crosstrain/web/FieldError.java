package io.crosstrain.web;

/** One rejected request field, by its JSON name or path ({@code name}, {@code model.dModel}, {@code devices[1]}). */
public record FieldError(String field, String message) {
}
