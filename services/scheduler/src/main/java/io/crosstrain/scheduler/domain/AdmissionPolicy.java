package io.crosstrain.scheduler.domain;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.ToDoubleFunction;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.Placement;
import io.crosstrain.planner.PlacementRules;

/**
 * Which queued jobs start now, on which devices (gang admission: all of a job's devices at once or none).
 *
 * <p>Rules, applied to the queue in order of priority (highest first), then submission time:
 * <ol>
 *   <li>A job may use the devices its spec names (all of them, or it waits), else every device that meets its
 *       placement (datacenters, chips, labels, memory), at most {@code maxDevices} of them, fastest first.</li>
 *   <li>Only devices that are ready (HEALTHY, calibrated) and not held by a running job are free.</li>
 *   <li>A tenant's jobs together hold at most the tenant's quota of devices.</li>
 *   <li>A job starts when at least {@code minDevices} (default 1; all named devices for an explicit list) are free.
 *       A job that takes every eligible device waits, within {@code deviceWait} of its submission (of its suspension,
 *       for a suspended job), while one of them is HEALTHY but still calibrating, so it does not start on a half-ready
 *       cluster.</li>
 *   <li>A job that waits for busy devices reserves the free eligible ones it would take: later jobs may not use them
 *       (no starvation of large high-priority jobs by small later ones); a job blocked only by its tenant's quota
 *       reserves nothing.</li>
 *   <li>A job that still cannot be placed {@code deviceWait} after its submission for reasons other than busy
 *       devices or its quota (devices unknown, unhealthy, or too few meet its placement) is rejected with the
 *       reason.</li>
 * </ol>
 */
public final class AdmissionPolicy {

    /**
     * A job waiting in the queue.
     *
     * @param submittedAt its place in the queue
     * @param waitingSince what {@code deviceWait} counts from: the submission, or a suspended job's suspension
     */
    public record QueuedJob(UUID jobId, String tenant, int priority, Instant submittedAt, JobSpec spec,
                            Instant waitingSince) {
        public QueuedJob(UUID jobId, String tenant, int priority, Instant submittedAt, JobSpec spec) {
            this(jobId, tenant, priority, submittedAt, spec, submittedAt);
        }
    }

    /** A job that holds devices now. */
    public record RunningJob(UUID jobId, String tenant, Set<String> devices) {
    }

    public sealed interface Outcome {
        UUID jobId();
    }

    /** Start the job on these devices. */
    public record Admit(UUID jobId, List<InventoryDevice> devices) implements Outcome {
    }

    /** Keep it queued; {@code reason} says why (shown to users). */
    public record Wait(UUID jobId, String reason) implements Outcome {
    }

    /** Give up on the job. */
    public record Reject(UUID jobId, String reason) implements Outcome {
    }

    private final Duration deviceWait;
    private final Map<String, Integer> quotas;
    private final int defaultQuota;
    private final ToDoubleFunction<InventoryDevice> speed;

    /**
     * @param quotas       devices a tenant's jobs may hold together; tenants not listed get {@code defaultQuota}
     * @param defaultQuota 0 = unlimited
     * @param speed        ranks devices when a job may take only some of them (higher = faster)
     */
    public AdmissionPolicy(Duration deviceWait, Map<String, Integer> quotas, int defaultQuota,
                           ToDoubleFunction<InventoryDevice> speed) {
        this.deviceWait = Objects.requireNonNull(deviceWait);
        this.quotas = Map.copyOf(quotas);
        this.defaultQuota = defaultQuota;
        this.speed = Objects.requireNonNull(speed);
    }

    public int quota(String tenant) {
        int q = quotas.getOrDefault(tenant, defaultQuota);
        return q <= 0 ? Integer.MAX_VALUE : q;
    }

    public static Comparator<QueuedJob> order() {
        return Comparator.comparingInt(QueuedJob::priority).reversed()
                .thenComparing(QueuedJob::submittedAt)
                .thenComparing(QueuedJob::jobId);
    }

    public List<Outcome> decide(List<QueuedJob> queue, List<InventoryDevice> inventory, List<RunningJob> running,
                                Instant now) {
        Map<String, UUID> heldBy = new HashMap<>();
        Map<String, Integer> heldByTenant = new HashMap<>();
        for (RunningJob r : running) {
            r.devices().forEach(d -> heldBy.put(d, r.jobId()));
            heldByTenant.merge(r.tenant(), r.devices().size(), Integer::sum);
        }
        Set<String> taken = new HashSet<>(); // admitted or reserved in this pass
        Map<String, InventoryDevice> byId = new LinkedHashMap<>();
        inventory.forEach(d -> byId.putIfAbsent(d.id(), d));
        List<Outcome> outcomes = new ArrayList<>();
        for (QueuedJob job : queue.stream().sorted(order()).toList()) {
            Outcome o = decideOne(job, inventory, byId, heldBy, heldByTenant, taken, now);
            outcomes.add(o);
            if (o instanceof Admit a) {
                a.devices().forEach(d -> taken.add(d.id()));
                heldByTenant.merge(job.tenant(), a.devices().size(), Integer::sum);
            }
        }
        return outcomes;
    }

    private Outcome decideOne(QueuedJob job, List<InventoryDevice> inventory, Map<String, InventoryDevice> byId,
                              Map<String, UUID> heldBy, Map<String, Integer> heldByTenant, Set<String> taken,
                              Instant now) {
        boolean late = Duration.between(job.waitingSince(), now).compareTo(deviceWait) >= 0;
        PlacementRules rules = new PlacementRules(job.spec().placementOrNone());
        Placement p = rules.placement();
        List<String> named = job.spec().devices() == null ? List.of() : job.spec().devices();

        List<InventoryDevice> eligible = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        if (!named.isEmpty()) {
            for (String id : new LinkedHashSet<>(named)) {
                InventoryDevice d = byId.get(id);
                if (d == null) {
                    problems.add("device " + id + " is not registered");
                } else {
                    String misfit = misfit(d, rules);
                    if (misfit != null) {
                        problems.add("device " + id + " " + misfit);
                    } else {
                        eligible.add(d);
                    }
                }
            }
        } else {
            Map<PlacementRules.Constraint, Integer> excluded = new java.util.EnumMap<>(PlacementRules.Constraint.class);
            for (InventoryDevice d : inventory) {
                PlacementRules.Constraint failed = failed(d, rules);
                if (failed == null) {
                    eligible.add(d);
                } else {
                    excluded.merge(failed, 1, Integer::sum);
                }
            }
            if (eligible.isEmpty()) {
                problems.add(inventory.isEmpty() ? "no device is registered"
                        : "none of the " + inventory.size() + " registered devices meets the placement"
                                + describe(excluded));
            }
        }

        int quota = quota(job.tenant());
        int tenantFree = Math.max(0, quota - heldByTenant.getOrDefault(job.tenant(), 0));
        List<InventoryDevice> free = new ArrayList<>();
        Set<UUID> blockers = new java.util.TreeSet<>();
        int busy = 0;
        boolean reservedAhead = false;
        int calibrating = 0;
        for (InventoryDevice d : eligible) {
            UUID holder = heldBy.get(d.id());
            if (holder != null) {
                blockers.add(holder);
                busy++;
            } else if (taken.contains(d.id())) {
                reservedAhead = true; // admitted or reserved for a job ahead in this pass
                busy++;
            } else if (!d.ready()) {
                if (d.healthy() && !d.calibrated()) {
                    calibrating++;
                }
                if (!named.isEmpty()) {
                    problems.add("device " + d.id() + (d.healthy() ? " has no CPU calibration yet"
                            : " is " + d.status() + ", not HEALTHY"));
                }
            } else {
                free.add(d);
            }
        }

        if (!named.isEmpty()) {
            if (!problems.isEmpty()) {
                return late ? new Reject(job.jobId(), String.join("; ", problems))
                        : new Wait(job.jobId(), String.join("; ", problems));
            }
            if (busy > 0) {
                reserve(free, taken);
                return new Wait(job.jobId(), busy(busy, blockers, reservedAhead));
            }
            if (free.size() > tenantFree) {
                return new Wait(job.jobId(), quotaReason(job.tenant(), quota, tenantFree, free.size()));
            }
            return new Admit(job.jobId(), List.copyOf(free));
        }

        if (!problems.isEmpty()) {
            return late ? new Reject(job.jobId(), String.join("; ", problems))
                    : new Wait(job.jobId(), String.join("; ", problems));
        }
        int min = p.minDevices() == null ? 1 : p.minDevices();
        int max = p.maxDevices() == null ? Integer.MAX_VALUE : p.maxDevices();
        if (calibrating > 0 && !late && free.size() < max) {
            return new Wait(job.jobId(), calibrating + " eligible device(s) still calibrating");
        }
        free.sort(Comparator.comparingDouble(speed).reversed().thenComparing(InventoryDevice::id));
        List<InventoryDevice> chosen = free.subList(0, Math.min(free.size(), max));
        if (chosen.size() < min) {
            if (busy > 0) {
                reserve(chosen, taken);
                return new Wait(job.jobId(), "needs " + min + " devices, " + chosen.size() + " free; "
                        + busy(busy, blockers, reservedAhead));
            }
            String why = "needs at least " + min + " devices, " + eligible.size() + " meet its placement and "
                    + chosen.size() + " of them are ready";
            return late ? new Reject(job.jobId(), why) : new Wait(job.jobId(), why);
        }
        if (chosen.size() > tenantFree) {
            if (tenantFree < min || tenantFree == 0) {
                return new Wait(job.jobId(), quotaReason(job.tenant(), quota, tenantFree, min));
            }
            chosen = chosen.subList(0, tenantFree);
        }
        return new Admit(job.jobId(), List.copyOf(chosen));
    }

    private static void reserve(List<InventoryDevice> devices, Set<String> taken) {
        devices.forEach(d -> taken.add(d.id()));
    }

    private static String busy(int count, Set<UUID> blockers, boolean reservedAhead) {
        List<String> why = new ArrayList<>();
        if (!blockers.isEmpty()) {
            why.add("held by job" + (blockers.size() > 1 ? "s " : " ")
                    + String.join(", ", blockers.stream().map(UUID::toString).toList()));
        }
        if (reservedAhead) {
            why.add("taken by jobs ahead in the queue");
        }
        return count + " of its devices are busy (" + String.join("; ", why) + ")";
    }

    private static String quotaReason(String tenant, int quota, int tenantFree, int wanted) {
        return "tenant " + tenant + " may hold " + quota + " devices and has " + tenantFree + " left; the job needs "
                + wanted;
    }

    /** Whether a device meets a job's placement. */
    public static boolean fits(InventoryDevice d, Placement p) {
        return failed(d, new PlacementRules(p)) == null;
    }

    private static PlacementRules.Constraint failed(InventoryDevice d, PlacementRules rules) {
        return rules.firstFailed(d.datacenter(), d.chip(), d.labels(), d::memoryGb);
    }

    /** Why a device does not meet a placement, or null when it does. */
    static String misfit(InventoryDevice d, PlacementRules rules) {
        PlacementRules.Constraint failed = failed(d, rules);
        if (failed == null) {
            return null;
        }
        Placement p = rules.placement();
        return switch (failed) {
            case DATACENTERS -> "is in datacenter " + d.datacenter() + ", not in " + p.datacenters();
            case CHIPS -> "is a " + d.chip() + ", not one of " + p.chips();
            case LABELS -> {
                Map.Entry<String, String> missing = rules.missingLabel(d.labels());
                yield "lacks label " + missing.getKey() + "=" + missing.getValue();
            }
            case MIN_MEMORY -> "has " + (d.memoryGb() == null ? "unknown" : d.memoryGb() + " GB")
                    + " memory, less than " + p.minMemoryGb() + " GB";
        };
    }

    /** ": 8 excluded by datacenters, 4 excluded by chips" */
    private static String describe(Map<PlacementRules.Constraint, Integer> excluded) {
        if (excluded.isEmpty()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        excluded.forEach((constraint, n) -> parts.add(n + " excluded by " + constraint.field()));
        return ": " + String.join(", ", parts);
    }
}
