package io.crosstrain.inventory.domain;

import java.util.ArrayList;
import java.util.List;

import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

/** Syntactic checks of a link; whether both datacenters exist is checked against the database. */
public final class LinkRequest {

    private LinkRequest() {
    }

    public record Checked(String from, String to, double gbps, double latencyMs) {
        /** Ends in storage order: a link is one row per unordered pair. */
        public String low() {
            return from.compareTo(to) < 0 ? from : to;
        }

        public String high() {
            return from.compareTo(to) < 0 ? to : from;
        }
    }

    public static Checked check(String from, String to, Double gbps, Double latencyMs) {
        List<FieldError> errors = new ArrayList<>();
        Validation.requireId(errors, "from", from);
        Validation.requireId(errors, "to", to);
        if (from != null && from.equals(to)) {
            errors.add(new FieldError("to", "must differ from 'from': a link joins two datacenters"));
        }
        Validation.requirePositive(errors, "gbps", gbps);
        Validation.requireNonNegative(errors, "latencyMs", latencyMs);
        if (!errors.isEmpty()) {
            throw RequestRejectedException.invalid(errors);
        }
        return new Checked(from, to, gbps, latencyMs);
    }
}
