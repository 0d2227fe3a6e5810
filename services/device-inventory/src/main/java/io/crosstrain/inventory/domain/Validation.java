package io.crosstrain.inventory.domain;

import java.util.List;
import java.util.Map;

import io.crosstrain.web.FieldError;

/** Field checks shared by the request validators; each adds to a list so a caller sees every mistake at once. */
final class Validation {

    static final int MAX_LABELS = 32;
    static final int MAX_LABEL_KEY = 63;
    static final int MAX_LABEL_VALUE = 255;

    private Validation() {
    }

    static void requireId(List<FieldError> errors, String field, String value) {
        if (value == null || value.isEmpty()) {
            errors.add(new FieldError(field, "is required"));
        } else if (!Ids.valid(value)) {
            errors.add(new FieldError(field, "must match " + Ids.PATTERN));
        }
    }

    /** Required, finite and greater than zero. */
    static void requirePositive(List<FieldError> errors, String field, Double value) {
        if (value == null) {
            errors.add(new FieldError(field, "is required"));
        } else {
            positiveIfPresent(errors, field, value);
        }
    }

    static void positiveIfPresent(List<FieldError> errors, String field, Double value) {
        if (value != null && !(value > 0 && Double.isFinite(value))) {
            errors.add(new FieldError(field, "must be a finite number greater than 0"));
        }
    }

    /** Required, finite and not negative. */
    static void requireNonNegative(List<FieldError> errors, String field, Double value) {
        if (value == null) {
            errors.add(new FieldError(field, "is required"));
        } else if (!(value >= 0 && Double.isFinite(value))) {
            errors.add(new FieldError(field, "must be a finite number of at least 0"));
        }
    }

    /**
     * Labels as they came in JSON: string keys mapped to string values. Anything else (numbers, objects, null) is
     * named by its path {@code labels.<key>}.
     */
    static void checkLabels(List<FieldError> errors, Map<String, ?> labels) {
        if (labels == null) {
            return;
        }
        if (labels.size() > MAX_LABELS) {
            errors.add(new FieldError("labels", "at most " + MAX_LABELS + " labels"));
        }
        for (Map.Entry<String, ?> label : labels.entrySet()) {
            String key = label.getKey();
            if (key == null || key.isBlank() || key.length() > MAX_LABEL_KEY) {
                errors.add(new FieldError("labels", "label keys must be 1-" + MAX_LABEL_KEY + " characters"));
            } else if (!(label.getValue() instanceof String value) || value.length() > MAX_LABEL_VALUE) {
                errors.add(new FieldError("labels." + key,
                        "label values must be strings of at most " + MAX_LABEL_VALUE + " characters"));
            }
        }
    }
}
