package io.crosstrain.scheduler.messaging;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

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
 * still HEALTHY) and after a rebalance. One re-plan at a time; each is stored before it is published, and the
 * (job, version) key keeps two triggers from producing the same version twice.
 */
@Component
class Replanning {

    private static final Logger log = LoggerFactory.getLogger(Replanning.class);

    private final SchedulerStore store;
    private final InventoryClient inventory;
    private final PlanAssembler assembler;
    private final DecisionPublisher publisher;
    /** Highest step some device reported as applied, per job: a round at or below it is committed. */
    private final Map<UUID, Integer> committed = new ConcurrentHashMap<>();

    Replanning(SchedulerStore store, InventoryClient inventory, PlanAssembler assembler, DecisionPublisher publisher) {
        this.store = store;
        this.inventory = inventory;
        this.assembler = assembler;
        this.publisher = publisher;
    }

    void stepCommitted(UUID jobId, int step) {
        committed.merge(jobId, step, Math::max);
    }

    int committedStep(UUID jobId) {
        return committed.getOrDefault(jobId, 0);
    }

    void forget(UUID jobId) {
        committed.remove(jobId);
    }

    /**
     * A device went DOWN: every running job holding it continues on its devices that are still HEALTHY, from the
     * first round not yet committed (the stalled one is redone).
     */
    synchronized void onDeviceDown(String deviceId, String why) {
        for (Plan plan : store.activePlans()) {
            if (plan.devices().stream().noneMatch(d -> d.deviceId().equals(deviceId))) {
                continue;
            }
            List<InventoryDevice> devices;
            try {
                devices = inventory.devices();
            } catch (InventoryClient.InventoryUnavailableException e) {
                log.warn("cannot re-plan job {} after {} went down: {}", plan.jobId(), deviceId, e.getMessage());
                continue; // the next event (or the sweeper) tries again
            }
            Map<String, InventoryDevice> byId = devices.stream()
                    .collect(Collectors.toMap(InventoryDevice::id, Function.identity(), (a, b) -> a));
            List<InventoryDevice> remaining = plan.devices().stream()
                    .map(d -> byId.get(d.deviceId()))
                    .filter(d -> d != null && d.healthy() && !d.id().equals(deviceId))
                    .toList();
            Set<String> lost = plan.devices().stream().map(PlanDevice::deviceId)
                    .filter(id -> remaining.stream().noneMatch(r -> r.id().equals(id)))
                    .collect(Collectors.toCollection(java.util.TreeSet::new));
            String reason = "lost " + lost + " (" + deviceId + ": " + why + ")";
            int startStep = committedStep(plan.jobId()) + 1;
            apply(plan, assembler.withCatalogue(inventory.catalogue()).replan(plan, remaining, Map.of(), startStep, reason, true));
        }
    }

    /**
     * Elastic growth: a device that became HEALTHY and is held by no job joins the highest-priority running job that
     * may use it (balanced allocation, no fixed device list, placement fits, below its maxDevices), from a couple of
     * rounds ahead. Queued jobs come first: while any waits, running jobs do not grow.
     */
    synchronized void onDeviceAvailable(String deviceId, int lead) {
        if (!store.waiting().isEmpty()) {
            return;
        }
        List<Plan> active = store.activePlans();
        if (active.stream().anyMatch(p -> p.devices().stream().anyMatch(d -> d.deviceId().equals(deviceId)))) {
            return;
        }
        List<InventoryDevice> devices;
        try {
            devices = inventory.devices();
        } catch (InventoryClient.InventoryUnavailableException e) {
            log.warn("cannot consider {} for running jobs: {}", deviceId, e.getMessage());
            return;
        }
        Map<String, InventoryDevice> byId = devices.stream()
                .collect(Collectors.toMap(InventoryDevice::id, Function.identity(), (a, b) -> a));
        InventoryDevice joining = byId.get(deviceId);
        if (joining == null || !joining.ready()) {
            return;
        }
        List<Plan> candidates = new java.util.ArrayList<>();
        Map<UUID, io.crosstrain.contracts.JobSpec> specs = new HashMap<>();
        for (Plan plan : active) {
            io.crosstrain.contracts.JobSpec spec = store.spec(plan.jobId()).orElse(null);
            if (spec == null || io.crosstrain.contracts.JobSpec.EQUAL.equals(plan.allocation())
                    || (spec.devices() != null && !spec.devices().isEmpty())
                    || AdmissionPolicy.misfit(joining, spec.placementOrNone()) != null) {
                continue;
            }
            Integer max = spec.placementOrNone().maxDevices();
            int startStep = committedStep(plan.jobId()) + lead;
            if ((max != null && plan.devices().size() >= max) || startStep > plan.steps()) {
                continue;
            }
            candidates.add(plan);
            specs.put(plan.jobId(), spec);
        }
        candidates.sort(java.util.Comparator.comparingInt((Plan p) -> specs.get(p.jobId()).priorityOrDefault())
                .reversed().thenComparing(p -> p.jobId()));
        Set<String> held = new java.util.HashSet<>();
        active.forEach(p -> p.devices().forEach(d -> held.add(d.deviceId())));
        for (Plan plan : candidates) {
            io.crosstrain.contracts.JobSpec spec = specs.get(plan.jobId());
            List<InventoryDevice> members = new java.util.ArrayList<>();
            for (PlanDevice d : plan.devices()) {
                InventoryDevice known = byId.get(d.deviceId());
                members.add(known != null ? known : new InventoryDevice(d.deviceId(), d.nodeId(), d.datacenter(),
                        d.chip(), InventoryDevice.HEALTHY, plan.mode(), null, null));
            }
            // every free device that fits joins in the same version: a node's devices come back together
            Integer max = spec.placementOrNone().maxDevices();
            List<String> joined = new java.util.ArrayList<>();
            for (InventoryDevice d : devices) {
                if ((max != null && members.size() >= max) || held.contains(d.id()) || !d.ready()
                        || AdmissionPolicy.misfit(d, spec.placementOrNone()) != null) {
                    continue;
                }
                members.add(d);
                joined.add(d.id());
            }
            int startStep = committedStep(plan.jobId()) + lead;
            apply(plan, assembler.withCatalogue(inventory.catalogue()).replan(plan, members, Map.of(), startStep,
                    "elastic: " + joined + " joined", false));
            return; // one job takes it
        }
    }

    /**
     * Measured speeds deviate from the plan: the next version re-splits the batch with them, taking over a couple of
     * rounds ahead so that every device has it before it gets there.
     */
    synchronized void rebalance(UUID jobId, int planVersion, Map<String, Double> measured, int startStep,
                                String reason) {
        Plan plan = store.latestPlan(jobId).orElse(null);
        if (plan == null || plan.planVersion() != planVersion) {
            return; // already re-planned
        }
        List<InventoryDevice> devices = plan.devices().stream()
                .map(d -> new InventoryDevice(d.deviceId(), d.nodeId(), d.datacenter(), d.chip(),
                        InventoryDevice.HEALTHY, plan.mode(), null, null))
                .toList();
        apply(plan, assembler.withCatalogue(inventory.catalogue()).replan(plan, devices, new HashMap<>(measured), startStep, reason, false));
    }

    private void apply(Plan previous, SchedulingDecision decision) {
        if (decision instanceof SchedulingDecision.Planned planned) {
            Plan next = planned.plan();
            if (store.recordNextPlan(next)) {
                log.info("job {}: plan v{} from step {} over {} devices: {}", next.jobId(), next.planVersion(),
                        next.startStep(), next.devices().size(), next.reason());
                publisher.publishPlan(next);
            }
        } else if (decision instanceof SchedulingDecision.Rejected rejected) {
            log.warn("job {} cannot continue: {}", previous.jobId(), rejected.reason());
            if (store.recordFailure(UUID.randomUUID(), previous.jobId(), rejected.reason())) {
                publisher.publishFailure(previous.jobId(), rejected.reason());
            }
        }
    }
}
