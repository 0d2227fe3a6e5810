package io.crosstrain.scheduler.messaging;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.scheduler.client.InventoryClient;
import io.crosstrain.scheduler.domain.AdmissionPolicy;
import io.crosstrain.scheduler.domain.InventoryDevice;
import io.crosstrain.scheduler.domain.PlanAssembler;
import io.crosstrain.scheduler.domain.SchedulingDecision;
import io.crosstrain.scheduler.persistence.SchedulerStore;

/**
 * New plan versions for running jobs: after a device failure (the job goes RECOVERING and continues on the devices
 * still HEALTHY) and after a rebalance. A job left without any feasible plan is suspended (it resumes from its latest
 * checkpoint when devices are free), as is an orphaned one. One re-plan or suspension at a time; each is stored before
 * it is published, and the (job, version) key keeps two triggers from producing the same version twice.
 */
@Component
class Replanning {

    private static final Logger log = LoggerFactory.getLogger(Replanning.class);

    private final SchedulerStore store;
    private final InventoryClient inventory;
    private final PlanAssembler assembler;
    private final DecisionPublisher publisher;
    private final Suspensions suspensions;
    /** Highest step some device reported as applied, per job: a round at or below it is committed. */
    private final Map<UUID, Integer> committed = new ConcurrentHashMap<>();
    /** Per job, the version of its latest resume: metrics of older versions name rounds the resume took back. */
    private final Map<UUID, Integer> resumedAt = new ConcurrentHashMap<>();

    /** States in which job-api accepts {@code suspend}; a job being cancelled (or not yet scheduled) is failed. */
    private static final Set<String> SUSPENDABLE = Set.of("SCHEDULED", "RUNNING", "RECOVERING");

    Replanning(SchedulerStore store, InventoryClient inventory, PlanAssembler assembler, DecisionPublisher publisher,
               Suspensions suspensions) {
        this.store = store;
        this.inventory = inventory;
        this.assembler = assembler;
        this.publisher = publisher;
        this.suspensions = suspensions;
    }

    void stepCommitted(UUID jobId, int planVersion, int step) {
        if (planVersion >= resumedAt.getOrDefault(jobId, 0)) {
            committed.merge(jobId, step, Math::max);
        }
    }

    /** A resume plan went out: the rounds after its checkpoint are uncommitted again. */
    void resumed(Plan plan) {
        resumedAt.put(plan.jobId(), plan.planVersion());
        committed.put(plan.jobId(), plan.startStep() - 1);
    }

    int committedStep(UUID jobId) {
        return committed.getOrDefault(jobId, 0);
    }

    void forget(UUID jobId) {
        committed.remove(jobId);
        resumedAt.remove(jobId);
    }

    /**
     * A device went DOWN: every running job holding it continues on its devices that are still HEALTHY, from the
     * first round not yet committed (the stalled one is redone). A job left with none, or with no feasible plan on
     * them, is suspended.
     */
    synchronized void onDeviceDown(String deviceId, String why) {
        for (Plan plan : store.activePlans()) {
            if (plan.devices().stream().noneMatch(d -> d.deviceId().equals(deviceId))) {
                continue;
            }
            Map<String, InventoryDevice> byId;
            try {
                byId = byId(inventory.devices());
            } catch (InventoryClient.InventoryUnavailableException e) {
                log.warn("cannot re-plan job {} after {} went down: {}", plan.jobId(), deviceId, e.getMessage());
                continue; // the next event (or the sweeper) tries again
            }
            int start = committedStep(plan.jobId()) + 1;
            // a newest version not yet in effect at the first uncommitted round (an elastic join, a rebalance ahead)
            // holds joiners without the state of the rounds before it: the recovery goes on from the devices of the
            // version in effect (chaos found a DiLoCo job waiting forever on joiners due a round later)
            Plan base = plan.startStep() > start ? inEffectAt(store.plans(plan.jobId()), start) : plan;
            List<InventoryDevice> remaining = new ArrayList<>();
            Set<String> lost = new TreeSet<>();
            for (PlanDevice d : base.devices()) {
                InventoryDevice now = byId.get(d.deviceId());
                if (now != null && now.healthy() && !now.id().equals(deviceId)) {
                    remaining.add(now);
                } else {
                    lost.add(d.deviceId());
                }
            }
            String cause = lost + " (" + deviceId + ": " + why + ")";
            if (remaining.isEmpty()) {
                cannotContinue(plan, "lost every device " + cause);
            } else {
                replan(plan, remaining, Map.of(), start, "lost " + cause, true);
            }
        }
    }

    /**
     * The version whose rounds run at {@code step}, of {@code versions} oldest first: the newest that has taken over
     * by then (else the oldest).
     */
    static Plan inEffectAt(List<Plan> versions, int step) {
        Plan inEffect = versions.get(0);
        for (Plan p : versions) {
            if (p.startStep() <= step) {
                inEffect = p;
            }
        }
        return inEffect;
    }

    /**
     * The orphan check found the job idle on devices that are up: it is suspended (and resumed from its latest
     * checkpoint), unless a newer plan came meanwhile.
     */
    synchronized void suspendOrphaned(Plan plan, String reason, boolean autoResume) {
        Plan latest = store.latestPlan(plan.jobId()).orElse(null);
        if (latest != null && latest.planVersion() == plan.planVersion()) {
            suspensions.suspend(plan, reason, autoResume);
        }
    }

    /**
     * Elastic growth: a device that became HEALTHY and is held by no job joins the highest-priority running job that
     * may use it (balanced allocation, no fixed device list, placement fits, below its maxDevices), from a couple of
     * rounds ahead, together with every other free device that fits that job: a node's devices come back together.
     * Queued jobs come first: while any waits, running jobs do not grow.
     */
    synchronized void onDeviceAvailable(String deviceId, int lead) {
        if (!store.waiting().isEmpty()) {
            return;
        }
        List<Plan> active = store.activePlans();
        Set<String> held = new HashSet<>();
        active.forEach(p -> p.devices().forEach(d -> held.add(d.deviceId())));
        if (held.contains(deviceId)) {
            return;
        }
        List<InventoryDevice> devices;
        try {
            devices = inventory.devices();
        } catch (InventoryClient.InventoryUnavailableException e) {
            log.warn("cannot consider {} for running jobs: {}", deviceId, e.getMessage());
            return;
        }
        Map<String, InventoryDevice> byId = byId(devices);
        InventoryDevice joining = byId.get(deviceId);
        if (joining == null || !joining.ready()) {
            return;
        }
        record Candidate(Plan plan, JobSpec spec) {
        }
        Candidate best = null;
        for (Plan plan : active) {
            JobSpec spec = store.spec(plan.jobId()).orElse(null);
            // under sync DP a joiner's datacenter is laid out afresh and the workers re-shard; under DiLoCo the
            // replicas of a datacenter differ between outer rounds, so their ranges cannot be pieced together
            if (spec == null || JobSpec.EQUAL.equals(plan.allocation()) || (plan.pipelined() && plan.diloco())
                    || (spec.devices() != null && !spec.devices().isEmpty())
                    || !AdmissionPolicy.fits(joining, spec.placementOrNone())
                    || full(plan, spec) || committedStep(plan.jobId()) + lead > plan.steps()) {
                continue;
            }
            int priority = spec.priorityOrDefault();
            if (best == null || priority > best.spec().priorityOrDefault() || (priority == best.spec()
                    .priorityOrDefault() && plan.jobId().compareTo(best.plan().jobId()) < 0)) {
                best = new Candidate(plan, spec);
            }
        }
        if (best == null) {
            return;
        }
        Plan plan = best.plan();
        List<InventoryDevice> members = new ArrayList<>();
        plan.devices().forEach(d -> members.add(byId.getOrDefault(d.deviceId(), asInventoryDevice(d, plan))));
        List<String> joined = new ArrayList<>();
        Integer max = best.spec().placementOrNone().maxDevices();
        for (InventoryDevice d : devices) {
            if ((max == null || members.size() < max) && !held.contains(d.id()) && d.ready()
                    && AdmissionPolicy.fits(d, best.spec().placementOrNone())) {
                members.add(d);
                joined.add(d.id());
            }
        }
        replan(plan, members, Map.of(), committedStep(plan.jobId()) + lead, "elastic: " + joined + " joined", false);
    }

    /** The first step at or after {@code step} that begins an outer round of a DiLoCo plan. */
    static int outerBoundaryAtOrAfter(Plan plan, int step) {
        int h = plan.syncOrDefaults().h();
        int s = Math.max(1, step);
        return (s - 1) % h == 0 ? s : ((s - 1) / h + 1) * h + 1;
    }

    private static boolean full(Plan plan, JobSpec spec) {
        Integer max = spec.placementOrNone().maxDevices();
        return max != null && plan.devices().size() >= max;
    }

    /**
     * Measured speeds deviate from the plan: the next version re-splits the batch with them, taking over a couple of
     * rounds ahead so that every device has it before it gets there.
     */
    synchronized void rebalance(UUID jobId, int planVersion, Map<String, Double> measured, int startStep,
                                String reason) {
        Plan plan = store.latestPlan(jobId).orElse(null);
        if (plan == null || plan.planVersion() != planVersion || suspensions.isSuspended(jobId)) {
            return; // already re-planned, or suspended: a late metric must not bring it back on these devices
        }
        List<InventoryDevice> devices = plan.devices().stream().map(d -> asInventoryDevice(d, plan)).toList();
        replan(plan, devices, measured, startStep, reason, false);
    }

    /**
     * A planned change (rebalance, join) taking over after the job's last step would reach workers whose run has
     * ended: nothing would run it and the job would wait for its devices forever. A recovery always goes out (its
     * start is the first uncommitted step, never past the end).
     */
    static boolean takesOverInTime(Plan previous, int startStep, boolean recovery) {
        return recovery || startStep <= previous.steps();
    }

    /** A device of a plan as the planner needs it, when the inventory is not asked (it is in the plan already). */
    private static InventoryDevice asInventoryDevice(PlanDevice d, Plan plan) {
        return new InventoryDevice(d.deviceId(), d.nodeId(), d.datacenter(), d.chip(), InventoryDevice.HEALTHY,
                plan.mode(), null, null);
    }

    private static Map<String, InventoryDevice> byId(List<InventoryDevice> devices) {
        return devices.stream().collect(Collectors.toMap(InventoryDevice::id, Function.identity(), (a, b) -> a));
    }

    /** The next version over these devices, planned over the inventory's chip catalogue, stored and published. */
    private void replan(Plan previous, List<InventoryDevice> devices, Map<String, Double> measured, int startStep,
                        String reason, boolean recovery) {
        if (!recovery && previous.diloco()) {
            // under DiLoCo every replica holds the global model only right after an outer round: a planned change
            // (rebalance, elastic growth) takes over there, so joiners start from the global state
            startStep = outerBoundaryAtOrAfter(previous, startStep);
        }
        if (!takesOverInTime(previous, startStep, recovery)) {
            log.info("job {}: {} would take over at step {}, after the last step {}: not re-planned", previous.jobId(),
                    reason, startStep, previous.steps());
            return;
        }
        apply(previous, assembler.withCatalogue(inventory.catalogue())
                .replan(previous, devices, measured, startStep, reason, recovery), recovery);
    }

    private void apply(Plan previous, SchedulingDecision decision, boolean recovery) {
        if (decision instanceof SchedulingDecision.Planned planned) {
            Plan next = planned.plan();
            if (store.recordNextPlan(next)) {
                log.info("job {}: plan v{} from step {} over {} devices: {}", next.jobId(), next.planVersion(),
                        next.startStep(), next.devices().size(), next.reason());
                publisher.publishPlan(next);
            }
        } else if (decision instanceof SchedulingDecision.Rejected rejected) {
            if (recovery) {
                cannotContinue(previous, rejected.reason());
            } else {
                fail(previous, rejected.reason());
            }
        }
    }

    /** No device or no feasible plan is left: a running job is suspended, anything else fails as before. */
    private void cannotContinue(Plan previous, String reason) {
        String state = store.jobState(previous.jobId()).orElse(null);
        if (state != null && SUSPENDABLE.contains(state)) {
            suspensions.suspend(previous, reason, true);
        } else {
            fail(previous, reason);
        }
    }

    private void fail(Plan previous, String reason) {
        log.warn("job {} cannot continue: {}", previous.jobId(), reason);
        if (store.recordFailure(UUID.randomUUID(), previous.jobId(), reason)) {
            publisher.publishFailure(previous.jobId(), reason);
        }
    }
}
