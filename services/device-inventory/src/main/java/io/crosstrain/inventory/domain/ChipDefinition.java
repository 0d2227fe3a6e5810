package io.crosstrain.inventory.domain;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import io.crosstrain.planner.ChipSpec;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

/** Syntactic checks of a user-defined chip. Whether it would replace a built-in one is checked by the caller. */
public final class ChipDefinition {

    /** Chip names appear in URLs and CSV files: letters, digits and {@code . _ + -}. */
    public static final String NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$";
    static final int MAX_SOURCE = 2000;
    private static final Pattern NAME = Pattern.compile(NAME_PATTERN);

    private ChipDefinition() {
    }

    public static ChipSpec check(String name, Double tflops, Double memoryGb, Double memBandwidthTBps,
                                 Boolean unverified, String source) {
        List<FieldError> errors = new ArrayList<>();
        if (name == null || name.isEmpty()) {
            errors.add(new FieldError("name", "is required"));
        } else if (!NAME.matcher(name).matches()) {
            errors.add(new FieldError("name", "must match " + NAME_PATTERN));
        }
        Validation.requirePositive(errors, "tflops", tflops);
        Validation.requirePositive(errors, "memoryGb", memoryGb);
        Validation.requirePositive(errors, "memBandwidthTBps", memBandwidthTBps);
        if (source == null || source.isBlank()) {
            errors.add(new FieldError("source", "is required: say where the figures come from"));
        } else if (source.length() > MAX_SOURCE) {
            errors.add(new FieldError("source", "at most " + MAX_SOURCE + " characters"));
        }
        if (!errors.isEmpty()) {
            throw RequestRejectedException.invalid(errors);
        }
        return new ChipSpec(name, tflops, memoryGb, memBandwidthTBps, Boolean.TRUE.equals(unverified),
                source.strip());
    }

    /** How the catalogue compares names: trimmed, ignoring case. */
    public static String key(String name) {
        return name.trim().toLowerCase(Locale.ROOT);
    }
}
