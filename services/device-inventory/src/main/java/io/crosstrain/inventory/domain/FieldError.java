package io.crosstrain.inventory.domain;

/** One rejected request field, by its JSON name. */
public record FieldError(String field, String message) {
}
