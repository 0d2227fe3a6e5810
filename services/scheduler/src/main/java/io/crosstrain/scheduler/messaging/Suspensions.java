package io.crosstrain.scheduler.messaging;

import java.util.List;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.CheckpointRef;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.ResumePoint;
import io.crosstrain.scheduler.client.InventoryClient;
import io.crosstrain.scheduler.domain.InventoryDevice;
import io.crosstrain.scheduler.domain.PlanAssembler;
import io.crosstrain.scheduler.domain.Resumes;
import io.crosstrain.scheduler.domain.SchedulingDecision;
import io.crosstrain.scheduler.persistence.ResumeStore;
import io.crosstrain.scheduler.persistence.SchedulerStore;

/**
 * Whole-job suspend and resume. A job that lost every device (or whose workers are gone) is suspended: the
 * suspension is stored, which frees its devices and puts it back in the queue, and job-api is told with a reason
 * naming the checkpoint it will resume from. Admission later resumes it like a queued job, with a version that makes
 * every device load that checkpoint.
 */
@Component
class Suspensions {

    private static final Logger log = LoggerFactory.getLogger(Suspensions.class);

    private final SchedulerStore store;
    private final ResumeStore resumes;
    private final InventoryClient inventory;
    private final DecisionPublisher publisher;

    Suspensions(SchedulerStore store, ResumeStore resumes, InventoryClient inventory, DecisionPublisher publisher) {
        this.store = store;
        this.resumes = resumes;
        this.inventory = inventory;
        this.publisher = publisher;
    }

    /**
     * Suspends the job at {@code plan}'s version unless a newer plan exists; callers hold {@link Replanning}'s lock,
     * so no re-plan of the job runs meanwhile.
     *
     * @param autoResume false: it waits for a user's resume request instead of the next free devices
     */
    boolean suspend(Plan plan, String why, boolean autoResume) {
        CheckpointRef latest = resumes.latestCheckpoint(plan.jobId()).orElse(null);
        String reason = Resumes.suspendReason(why, latest);
        if (!resumes.suspend(plan.jobId(), plan.planVersion(), reason, autoResume)) {
            return false;
        }
        log.warn("job {} suspended at plan v{}: {}", plan.jobId(), plan.planVersion(), reason);
        publisher.publishSuspension(plan.jobId(), plan.planVersion(), reason);
        return true;
    }

    boolean isSuspended(UUID jobId) {
        return resumes.suspended(jobId).isPresent();
    }

    /**
     * The version resuming a suspended job on the devices admission chose: stored with the job leaving the queue,
     * then published.
     *
     * @return the stored plan, a rejection saying why the devices do not do, or null when another pass resumed it
     */
    SchedulingDecision resume(PlanAssembler planning, UUID jobId, List<InventoryDevice> devices) {
        Plan previous = store.latestPlan(jobId).orElse(null);
        if (previous == null) {
            return new SchedulingDecision.Rejected(jobId, "no earlier plan to resume");
        }
        ResumePoint point = Resumes.pointOf(resumes.latestCheckpoint(jobId).orElse(null));
        List<String> datacenters = devices.stream().map(InventoryDevice::datacenter).distinct().sorted().toList();
        SchedulingDecision decision = planning.resume(previous, devices, inventory.links(datacenters), point);
        if (decision instanceof SchedulingDecision.Planned planned) {
            Plan plan = planned.plan();
            if (!store.admit(plan)) {
                return null;
            }
            log.info("job {} resumed: plan v{} from step {} over {} devices ({})", jobId, plan.planVersion(),
                    plan.startStep(), plan.devices().size(), plan.reason());
            publisher.publishPlan(plan);
        }
        return decision;
    }

    void onCheckpointed(UUID jobId, CheckpointRef ref) {
        if (resumes.recordCheckpoint(jobId, ref)) {
            log.info("job {}: checkpoint of step {} (plan v{}) at {}", jobId, ref.step(), ref.planVersion(),
                    ref.manifest());
        }
    }

    /** job-api has applied the suspend: a resume plan may now follow it. */
    void onSuspendedState(UUID jobId) {
        resumes.acknowledge(jobId);
    }

    /** @return false when the job is not suspended here (nothing to resume) */
    boolean onResumeRequested(UUID jobId) {
        return resumes.requestResume(jobId);
    }
}
