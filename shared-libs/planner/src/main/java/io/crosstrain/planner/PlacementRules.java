package io.crosstrain.planner;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

import io.crosstrain.contracts.Placement;

/**
 * Whether a device meets a job's {@link Placement}: the one rule both the planner (what-if) and the scheduler's
 * admission (running jobs) apply. Constraints are checked in a fixed order, so every excluded device counts against
 * exactly one of them, the first it fails.
 */
public final class PlacementRules {

    /** A placement constraint, named as in the job spec. */
    public enum Constraint {
        DATACENTERS("datacenters"), CHIPS("chips"), LABELS("labels"), MIN_MEMORY("minMemoryGb");

        private final String field;

        Constraint(String field) {
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    private final Placement placement;
    private final Set<String> datacenters = new TreeSet<>();
    private final Set<String> chips = new TreeSet<>();
    private final Map<String, String> labels;

    public PlacementRules(Placement placement) {
        this.placement = placement == null ? Placement.none() : placement;
        if (this.placement.datacenters() != null) {
            this.placement.datacenters().stream().filter(Objects::nonNull).forEach(datacenters::add);
        }
        if (this.placement.chips() != null) {
            this.placement.chips().stream().filter(Objects::nonNull).forEach(c -> chips.add(chipKey(c)));
        }
        this.labels = this.placement.labels() == null ? Map.of() : this.placement.labels();
    }

    public Placement placement() {
        return placement;
    }

    /**
     * @param memoryGb the device's memory, asked only when a minimum is set; null = unknown, which does not meet it
     * @return the first constraint the device fails, or null when it meets them all
     */
    public Constraint firstFailed(String datacenter, String chip, Map<String, String> deviceLabels,
                                  Supplier<Double> memoryGb) {
        if (!datacenters.isEmpty() && !datacenters.contains(datacenter)) {
            return Constraint.DATACENTERS;
        }
        if (!chips.isEmpty() && (chip == null || !chips.contains(chipKey(chip)))) {
            return Constraint.CHIPS;
        }
        if (missingLabel(deviceLabels) != null) {
            return Constraint.LABELS;
        }
        if (placement.minMemoryGb() != null) {
            Double memory = memoryGb.get();
            if (memory == null || memory < placement.minMemoryGb()) {
                return Constraint.MIN_MEMORY;
            }
        }
        return null;
    }

    /** The first wanted label the device lacks (or has with another value), or null. */
    public Map.Entry<String, String> missingLabel(Map<String, String> deviceLabels) {
        Map<String, String> have = deviceLabels == null ? Map.of() : deviceLabels;
        for (Map.Entry<String, String> e : labels.entrySet()) {
            if (!Objects.equals(have.get(e.getKey()), e.getValue())) {
                return e;
            }
        }
        return null;
    }

    private static String chipKey(String chip) {
        return chip.trim().toLowerCase(Locale.ROOT);
    }
}
