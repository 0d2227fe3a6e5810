package io.crosstrain.inventory.domain;

import java.util.ArrayList;
import java.util.LinkedHashMap;
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

    private DeviceRegistration() {
    }

    /**
     * The registration with its chip name in catalogue spelling and its memory (the chip's when none was given).
     */
    public record Checked(String id, String nodeId, String datacenter, ChipSpec chip, double memoryGb,
                          Map<String, String> labels) {
    }

    public static Checked check(String id, String nodeId, String datacenter, String chip, Double memoryGb,
                                Map<String, String> labels, ChipCatalogue catalogue) {
        List<FieldError> errors = new ArrayList<>();
        Validation.requireId(errors, "id", id);
        Validation.requireId(errors, "nodeId", nodeId);
        Validation.requireId(errors, "datacenter", datacenter);
        Optional<ChipSpec> spec = catalogue.find(chip);
        if (chip == null || chip.isBlank()) {
            errors.add(new FieldError("chip", "is required"));
        } else if (spec.isEmpty()) {
            errors.add(new FieldError("chip", "unknown chip '" + chip + "'; see GET /api/v1/chips"));
        }
        Validation.positiveIfPresent(errors, "memoryGb", memoryGb);
        Validation.checkLabels(errors, labels);
        if (!errors.isEmpty()) {
            throw RequestRejectedException.invalid(errors);
        }
        ChipSpec ok = spec.orElseThrow();
        return new Checked(id, nodeId, datacenter, ok, memoryGb == null ? ok.memoryGb() : memoryGb,
                labels == null ? Map.of() : Map.copyOf(labels));
    }

    /** Checks a replacement label set as it came in JSON (values of any type) and returns it as strings. */
    public static Map<String, String> checkLabels(Map<String, ?> labels) {
        List<FieldError> errors = new ArrayList<>();
        if (labels == null) {
            errors.add(new FieldError("labels", "is required (send {} to remove every label)"));
        }
        Validation.checkLabels(errors, labels);
        if (!errors.isEmpty()) {
            throw RequestRejectedException.invalid(errors);
        }
        Map<String, String> clean = new LinkedHashMap<>();
        labels.forEach((k, v) -> clean.put(k, (String) v));
        return clean;
    }

    /** Checks a datacenter id and its optional descriptive fields. */
    public static void checkDatacenter(String id, String name, String region) {
        List<FieldError> errors = new ArrayList<>();
        Validation.requireId(errors, "id", id);
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

    /** Checks an explicitly created node. */
    public static void checkNode(String id, String datacenter) {
        List<FieldError> errors = new ArrayList<>();
        Validation.requireId(errors, "id", id);
        Validation.requireId(errors, "datacenter", datacenter);
        if (!errors.isEmpty()) {
            throw RequestRejectedException.invalid(errors);
        }
    }
}
