package io.crosstrain.scheduler.messaging;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;

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
import io.crosstrain.scheduler.persistence.SchedulerStore;

/**
 * The queue: a SUBMITTED event puts the job in it (a spec that can never be planned is failed at once); the
 * admission loop then starts queued jobs on gangs of free devices by {@link AdmissionPolicy}, stores each plan
 * together with the job's leaving the queue, and publishes it.
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

    JobScheduling(InventoryClient inventory, PlanAssembler assembler, SchedulerStore store,
                  DecisionPublisher publisher, SchedulerProperties props, AdmissionPolicy policy, Clock clock) {
        this.inventory = inventory;
        this.assembler = assembler;
        this.store = store;
        this.publisher = publisher;
        this.props = props;
        this.policy = policy;
        this.clock = clock;
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

    @Scheduled(initialDelayString = "${crosstrain.scheduler.admission-interval-ms:1000}",
            fixedDelayString = "${crosstrain.scheduler.admission-interval-ms:1000}")
    void admit() {
        List<SchedulerStore.QueueEntry> queue = store.waiting();
        if (queue.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        List<InventoryDevice> devices;
        try {
            devices = inventory.devices();
        } catch (InventoryClient.InventoryUnavailableException e) {
            for (SchedulerStore.QueueEntry q : queue) {
                if (Duration.between(q.submittedAt(), now).compareTo(props.deviceWait()) >= 0) {
                    reject(q.jobId(), "devices not ready after " + seconds(props.deviceWait()) + ": "
                            + e.getMessage());
                } else {
                    store.noteWaiting(q.jobId(), e.getMessage());
                }
            }
            return;
        }
        List<AdmissionPolicy.QueuedJob> queued = queue.stream()
                .map(q -> new AdmissionPolicy.QueuedJob(q.jobId(), q.tenant(), q.priority(), q.submittedAt(),
                        q.spec()))
                .toList();
        Map<UUID, AdmissionPolicy.QueuedJob> byId = new java.util.HashMap<>();
        queued.forEach(q -> byId.put(q.jobId(), q));
        PlanAssembler planning = null; // the catalogue and profiles, read once for every job this pass admits
        List<PlanAssembler.MeasuredProfile> profiles = List.of();
        for (AdmissionPolicy.Outcome o : policy.decide(queued, devices, running(), now)) {
            if (o instanceof AdmissionPolicy.Admit a) {
                if (planning == null) {
                    planning = assembler.withCatalogue(inventory.catalogue());
                    profiles = inventory.profiles();
                }
                start(planning, profiles, byId.get(a.jobId()), a.devices());
            } else if (o instanceof AdmissionPolicy.Reject r) {
                reject(r.jobId(), "devices not ready after " + seconds(props.deviceWait()) + ": " + r.reason());
            } else if (o instanceof AdmissionPolicy.Wait w) {
                store.noteWaiting(w.jobId(), w.reason());
            }
        }
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
