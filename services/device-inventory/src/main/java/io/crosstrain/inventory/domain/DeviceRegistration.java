package io.crosstrain.inventory.domain;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ChipSpec;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

/**
 * Syntactic checks of a device registration, all fields at once so the caller sees every mistake in one answer.
 * Whether the datacenter exists is checked later against the database.
 */
public final class DeviceRegistration {

    static final int MAX_LABELS = 32;
    static final int MAX_LABEL_KEY = 63;
    static final int MAX_LABEL_VALUE = 255;

    private DeviceRegistration() {
    }

    /** The registration with its chip name in catalogue spelling, or the list of field errors. */
    public record Checked(String id, String nodeId, String datacenter, ChipSpec chip, Map<String, String> labels) {
    }

    public static Checked check(String id, String nodeId, String datacenter, String chip, Map<String, String> labels,
                                ChipCatalogue catalogue) {
        List<FieldError> errors = new ArrayList<>();
        requireId(errors, "id", id);
        requireId(errors, "nodeId", nodeId);
        requireId(errors, "datacenter", datacenter);
        Optional<ChipSpec> spec = catalogue.find(chip);
        if (chip == null || chip.isBlank()) {
            errors.add(new FieldError("chip", "is required"));
        } else if (spec.isEmpty()) {
            errors.add(new FieldError("chip", "unknown chip '" + chip + "'; see GET /api/v1/chips"));
        }
        Map<String, String> cleanLabels = labels == null ? Map.of() : labels;
        if (cleanLabels.size() > MAX_LABELS) {
            errors.add(new FieldError("labels", "at most " + MAX_LABELS + " labels"));
        }
        for (Map.Entry<String, String> label : cleanLabels.entrySet()) {
            String key = label.getKey();
            if (key == null || key.isBlank() || key.length() > MAX_LABEL_KEY) {
                errors.add(new FieldError("labels", "label keys must be 1-" + MAX_LABEL_KEY + " characters"));
            } else if (label.getValue() == null || label.getValue().length() > MAX_LABEL_VALUE) {
                errors.add(new FieldError("labels." + key,
                        "label values must be non-null and at most " + MAX_LABEL_VALUE + " characters"));
            }
        }
        if (!errors.isEmpty()) {
            throw RequestRejectedException.invalid(errors);
        }
        return new Checked(id, nodeId, datacenter, spec.orElseThrow(), Map.copyOf(cleanLabels));
    }

    static void requireId(List<FieldError> errors, String field, String value) {
        if (value == null || value.isEmpty()) {
            errors.add(new FieldError(field, "is required"));
        } else if (!Ids.valid(value)) {
            errors.add(new FieldError(field, "must match " + Ids.PATTERN));
        }
    }

    /** Checks a datacenter id and its optional descriptive fields. */
    public static void checkDatacenter(String id, String name, String region) {
        List<FieldError> errors = new ArrayList<>();
        requireId(errors, "id", id);
        if (name != null && name.length() > 200) {
            errors.add(new FieldError("name", "at most 200 characters"));
        }
        if (region != null && region.length() > 200) {
            errors.add(new FieldError("region", "at most 200 characters"));
        }
        if (!errors.isEmpty()) {
            throw RequestRejectedException.invalid(errors);
        }
    }
}
