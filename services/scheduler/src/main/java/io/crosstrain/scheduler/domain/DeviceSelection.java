package io.crosstrain.scheduler.domain;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Which devices of the inventory a job may use right now, and what is still missing.
 * <p>
 * A job that names its devices needs every one of them HEALTHY and calibrated. A job that names none takes every
 * ready device; it is worth waiting while nothing is ready or while a HEALTHY device is still calibrating (it has
 * just started), but at the deadline whatever is ready is good enough.
 *
 * @param explicit  whether the job named its devices
 * @param usable    ready devices, in the order the job named them (else the inventory's order)
 * @param problems  one human-readable line per device that keeps the selection from being complete
 */
public record DeviceSelection(boolean explicit, List<InventoryDevice> usable, List<String> problems) {

    public static DeviceSelection of(List<String> requested, List<InventoryDevice> inventory) {
        if (requested == null || requested.isEmpty()) {
            return everyReadyDevice(inventory);
        }
        Map<String, InventoryDevice> byId = inventory.stream()
                .collect(Collectors.toMap(InventoryDevice::id, Function.identity(), (a, b) -> a));
        List<InventoryDevice> usable = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        for (String id : new LinkedHashSet<>(requested)) {
            InventoryDevice d = byId.get(id);
            if (d == null) {
                problems.add("device " + id + " is not registered");
            } else if (!d.healthy()) {
                problems.add("device " + id + " is " + d.status() + ", not HEALTHY");
            } else if (!d.calibrated()) {
                problems.add("device " + id + " has no CPU calibration yet (cpuFlopsPerSec = 0)");
            } else {
                usable.add(d);
            }
        }
        return new DeviceSelection(true, List.copyOf(usable), List.copyOf(problems));
    }

    private static DeviceSelection everyReadyDevice(List<InventoryDevice> inventory) {
        List<InventoryDevice> usable = inventory.stream().filter(InventoryDevice::ready).toList();
        List<String> problems = new ArrayList<>();
        inventory.stream()
                .filter(d -> d.healthy() && !d.calibrated())
                .forEach(d -> problems.add("device " + d.id() + " has no CPU calibration yet (cpuFlopsPerSec = 0)"));
        if (usable.isEmpty() && problems.isEmpty()) {
            problems.add(inventory.isEmpty()
                    ? "no device is registered"
                    : "none of the " + inventory.size() + " registered devices is HEALTHY");
        }
        return new DeviceSelection(false, usable, List.copyOf(problems));
    }

    /** Everything the job asked for is ready: no reason to wait any longer. */
    public boolean complete() {
        return problems.isEmpty() && !usable.isEmpty();
    }

    /** Whether a plan may be made once the waiting time is over. */
    public boolean acceptableAtDeadline() {
        return explicit ? complete() : !usable.isEmpty();
    }

    public String describeProblems() {
        return String.join("; ", problems);
    }
}
