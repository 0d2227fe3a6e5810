package io.crosstrain.scheduler.messaging;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.scheduler.client.InventoryClient;
import io.crosstrain.scheduler.config.SchedulerProperties;
import io.crosstrain.scheduler.domain.AdmissionPolicy;
import io.crosstrain.scheduler.domain.InventoryDevice;
import io.crosstrain.scheduler.domain.PlanAssembler;
import io.crosstrain.scheduler.domain.SchedulingDecision;
import io.crosstrain.scheduler.persistence.ResumeStore;
import io.crosstrain.scheduler.persistence.SchedulerStore;

/**
 * The queue: a SUBMITTED event puts the job in it (a spec that can never be planned is failed at once); the
 * admission loop then starts queued jobs on gangs of free devices by {@link AdmissionPolicy}, stores each plan
 * together with the job's leaving the queue, and publishes it. A suspended job waits in the same queue and is
 * resumed the same way ({@link Suspensions#resume}); it is never failed for want of devices.
 */
@Component
class JobScheduling {

    private static final Logger log = LoggerFactory.getLogger(JobScheduling.class);

    private final InventoryClient inventory;
    private final PlanAssembler assembler;
    private final SchedulerStore store;
    private final DecisionPublisher publisher;
    private final SchedulerProperties props;
    private final AdmissionPolicy policy;
    private final Clock clock;
    private final ResumeStore resumes;
    private final Suspensions suspensions;
    private final Replanning replanning;
    /**
     * Suspended jobs the planner could not resume, with the free devices as they were then: left out of the passes
     * until those change, so they neither hold free devices from other jobs nor re-run the planner every pass.
     */
    private final Map<UUID, Set<InventoryDevice>> unplaceable = new HashMap<>();

    JobScheduling(InventoryClient inventory, PlanAssembler assembler, SchedulerStore store,
                  DecisionPublisher publisher, SchedulerProperties props, AdmissionPolicy policy, Clock clock,
                  ResumeStore resumes, Suspensions suspensions, Replanning replanning) {
        this.inventory = inventory;
        this.assembler = assembler;
        this.store = store;
        this.publisher = publisher;
        this.props = props;
        this.policy = policy;
        this.clock = clock;
        this.resumes = resumes;
        this.suspensions = suspensions;
        this.replanning = replanning;
    }

    void onSubmitted(JobEvent event) {
        UUID jobId = event.jobId();
        if (store.isProcessed(event.eventId())) {
            log.info("job event {} of job {} was already handled; skipping", event.eventId(), jobId);
            return;
        }
        if (store.hasDecision(jobId) || store.isQueued(jobId)) {
            log.info("job {} is already queued or decided; event {} changes nothing", jobId, event.eventId());
            store.markProcessed(event.eventId(), jobId);
            return;
        }
        String invalid = assembler.problemWith(event.spec());
        if (invalid != null) {
            log.warn("cannot schedule job {}: {}", jobId, invalid);
            if (store.recordFailure(event.eventId(), jobId, invalid)) {
                publisher.publishFailure(jobId, invalid);
            }
            return;
        }
        if (store.enqueue(event.eventId(), jobId, event.spec(), clock.instant())) {
            log.info("job {} queued (tenant {}, priority {})", jobId, event.spec().tenantOrDefault(),
                    event.spec().priorityOrDefault());
        }
    }

    /**
     * One admission pass. Synchronized: a resume request runs a pass from the listener thread, and two passes at once
     * could give the same free devices to two jobs.
     */
    @Scheduled(initialDelayString = "${crosstrain.scheduler.admission-interval-ms:1000}",
            fixedDelayString = "${crosstrain.scheduler.admission-interval-ms:1000}")
    synchronized void admit() {
        List<SchedulerStore.QueueEntry> waiting = store.waiting();
        if (waiting.isEmpty()) {
            return;
        }
        Map<UUID, ResumeStore.Suspension> suspended = resumes.suspended(
                waiting.stream().map(SchedulerStore.QueueEntry::jobId).toList());
        List<SchedulerStore.QueueEntry> queue = new ArrayList<>();
        for (SchedulerStore.QueueEntry q : waiting) {
            ResumeStore.Suspension s = suspended.get(q.jobId());
            if (s != null && !s.acknowledged()) {
                // job-api must be SUSPENDED before the resume plan reaches it, or it would suspend a resumed job
                store.noteWaiting(q.jobId(), s.reason() + "; waiting for job-api to confirm the suspension");
            } else if (s != null && !s.autoResume() && !s.resumeRequested()) {
                store.noteWaiting(q.jobId(), s.reason());
            } else {
                queue.add(q);
            }
        }
        if (queue.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        List<InventoryDevice> devices;
        try {
            devices = inventory.devices();
        } catch (InventoryClient.InventoryUnavailableException e) {
            for (SchedulerStore.QueueEntry q : queue) {
                if (suspended.containsKey(q.jobId())) {
                    keepSuspended(q, suspended.get(q.jobId()), e.getMessage());
                } else if (Duration.between(q.submittedAt(), now).compareTo(props.deviceWait()) >= 0) {
                    reject(q.jobId(), "devices not ready after " + seconds(props.deviceWait()) + ": "
                            + e.getMessage());
                } else {
                    store.noteWaiting(q.jobId(), e.getMessage());
                }
            }
            return;
        }
        List<AdmissionPolicy.RunningJob> running = running();
        Set<String> held = new HashSet<>();
        running.forEach(r -> held.addAll(r.devices()));
        Set<InventoryDevice> free = devices.stream().filter(d -> d.ready() && !held.contains(d.id()))
                .collect(Collectors.toSet());
        unplaceable.keySet().retainAll(suspended.keySet());
        queue.removeIf(q -> free.equals(unplaceable.get(q.jobId())));
        // a suspended job keeps its place (submission time); its device wait counts from the suspension, and a
        // resume request waits for no calibration
        List<AdmissionPolicy.QueuedJob> queued = queue.stream().map(q -> {
            ResumeStore.Suspension s = suspended.get(q.jobId());
            Instant since = s == null ? q.submittedAt() : s.resumeRequested() ? Instant.EPOCH : s.createdAt();
            return new AdmissionPolicy.QueuedJob(q.jobId(), q.tenant(), q.priority(), q.submittedAt(), q.spec(),
                    since);
        }).toList();
        Map<UUID, AdmissionPolicy.QueuedJob> byId = new java.util.HashMap<>();
        queued.forEach(q -> byId.put(q.jobId(), q));
        Map<UUID, SchedulerStore.QueueEntry> entries = new java.util.HashMap<>();
        queue.forEach(q -> entries.put(q.jobId(), q));
        PlanAssembler planning = null; // the catalogue and profiles, read once for every job this pass admits
        List<PlanAssembler.MeasuredProfile> profiles = List.of();
        for (AdmissionPolicy.Outcome o : policy.decide(queued, devices, running, now)) {
            ResumeStore.Suspension s = suspended.get(o.jobId());
            if (o instanceof AdmissionPolicy.Admit a) {
                if (planning == null) {
                    planning = assembler.withCatalogue(inventory.catalogue());
                    profiles = inventory.profiles();
                }
                if (s == null) {
                    start(planning, profiles, byId.get(a.jobId()), a.devices());
                } else {
                    resume(planning, entries.get(a.jobId()), s, a.devices(), free);
                }
            } else if (o instanceof AdmissionPolicy.Reject r) {
                if (s == null) {
                    reject(r.jobId(), "devices not ready after " + seconds(props.deviceWait()) + ": " + r.reason());
                } else {
                    keepSuspended(entries.get(r.jobId()), s, r.reason()); // a suspended job is never failed here
                }
            } else if (o instanceof AdmissionPolicy.Wait w) {
                store.noteWaiting(w.jobId(), s == null ? w.reason() : s.reason() + "; " + w.reason());
            }
        }
    }

    private void resume(PlanAssembler planning, SchedulerStore.QueueEntry q, ResumeStore.Suspension s,
                        List<InventoryDevice> devices, Set<InventoryDevice> free) {
        SchedulingDecision decision = suspensions.resume(planning, q.jobId(), devices);
        if (decision instanceof SchedulingDecision.Planned planned) {
            unplaceable.remove(q.jobId());
            replanning.resumed(planned.plan());
        } else if (decision instanceof SchedulingDecision.Rejected rejected) {
            unplaceable.put(q.jobId(), free);
            keepSuspended(q, s, rejected.reason());
        }
    }

    /** It cannot be resumed now: it stays suspended, and the queue says why (logged when the reason changes). */
    private void keepSuspended(SchedulerStore.QueueEntry q, ResumeStore.Suspension s, String why) {
        String reason = s.reason() + "; cannot resume yet: " + why;
        if (!reason.equals(q.reason())) {
            log.info("job {} stays suspended: {}", q.jobId(), why);
        }
        store.noteWaiting(q.jobId(), reason);
    }

    private void start(PlanAssembler planning, List<PlanAssembler.MeasuredProfile> profiles,
                       AdmissionPolicy.QueuedJob job, List<InventoryDevice> devices) {
        // the planner prices the WAN from the inventory's links, and the relays emulate the same links
        List<String> datacenters = devices.stream().map(InventoryDevice::datacenter).distinct().sorted().toList();
        SchedulingDecision decision = planning.assemble(job.jobId(), job.spec(), devices, profiles,
                inventory.links(datacenters));
        if (decision instanceof SchedulingDecision.Planned planned) {
            Plan plan = planned.plan();
            if (store.admit(plan)) {
                log.info("job {} admitted on {} devices", job.jobId(), plan.devices().size());
                publisher.publishPlan(plan);
            }
        } else if (decision instanceof SchedulingDecision.Rejected rejected) {
            reject(job.jobId(), rejected.reason());
        }
    }

    private void reject(UUID jobId, String reason) {
        log.warn("cannot schedule job {}: {}", jobId, reason);
        if (store.reject(jobId, reason)) {
            publisher.publishFailure(jobId, reason);
        }
    }

    /** Jobs holding devices: the devices of their newest plan, with their tenant. */
    private List<AdmissionPolicy.RunningJob> running() {
        List<Plan> active = store.activePlans();
        Map<UUID, String> tenants = store.tenants(active.stream().map(Plan::jobId).toList());
        List<AdmissionPolicy.RunningJob> out = new ArrayList<>();
        for (Plan p : active) {
            out.add(new AdmissionPolicy.RunningJob(p.jobId(), tenants.getOrDefault(p.jobId(), "default"),
                    new HashSet<>(p.devices().stream().map(PlanDevice::deviceId).toList())));
        }
        return out;
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
