package io.crosstrain.worker.domain;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import io.crosstrain.contracts.Plan;

/**
 * The plan versions a job run was given and the one it switches to next. As at the relays, a round belongs to the
 * newest version whose start step is at or before it, so the running version is superseded at the earliest start
 * step among the newer versions received, and there the newest version starting at that step takes over; a version
 * that starts later stays pending for its own start (v12 from step 71 and v13 from 73, both received before a
 * switch: 71 and 72 are v12's). A version that resumes the whole job from a checkpoint ({@link Plan#resume}) goes
 * first, because only it says where the state comes from. Not thread-safe: the run guards it.
 */
final class PlanSwitch {

    private static final Comparator<Plan> EARLIEST_START_THEN_NEWEST = Comparator.comparingLong(Plan::startStep)
            .thenComparing(Comparator.comparingInt(Plan::planVersion).reversed());

    private Plan latest;
    /** Versions not run by any segment yet, by version. */
    private final TreeMap<Integer, Plan> pending = new TreeMap<>();

    PlanSwitch(Plan first) {
        this.latest = first;
    }

    Plan latest() {
        return latest;
    }

    /** @return false when {@code next} is not newer than the newest known version */
    boolean offer(Plan next) {
        if (next.planVersion() <= latest.planVersion()) {
            return false;
        }
        latest = next;
        pending.put(next.planVersion(), next);
        return true;
    }

    /** The version that takes over from version {@code running}, or null while none does. */
    Plan next(int running) {
        Collection<Plan> newer = pending.tailMap(running, false).values();
        Optional<Plan> resume = newer.stream().filter(p -> p.resume() != null)
                .max(Comparator.comparingInt(Plan::planVersion));
        return resume.orElseGet(() -> newer.stream().min(EARLIEST_START_THEN_NEWEST).orElse(null));
    }

    /** As {@link #next}; it and every older pending version are no longer pending. */
    Plan take(int running) {
        Plan p = next(running);
        if (p != null) {
            pending.headMap(p.planVersion(), true).clear();
        }
        return p;
    }

    /**
     * The earliest-starting pending version newer than {@code running} that names one of {@code devices}; it and
     * every older pending version are no longer pending. For a node that a version leaves out and a later one takes
     * back.
     */
    Optional<Plan> takeNaming(int running, Set<String> devices) {
        Optional<Plan> p = pending.tailMap(running, false).values().stream()
                .filter(v -> v.devices().stream().anyMatch(d -> devices.contains(d.deviceId())))
                .min(EARLIEST_START_THEN_NEWEST);
        p.ifPresent(v -> pending.headMap(v.planVersion(), true).clear());
        return p;
    }

    /** The version a run that has not started yet begins with. */
    Plan first() {
        Plan p = take(0);
        return p != null ? p : latest;
    }
}
