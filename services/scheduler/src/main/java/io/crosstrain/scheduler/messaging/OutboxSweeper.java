package io.crosstrain.scheduler.messaging;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.Plan;
import io.crosstrain.scheduler.config.SchedulerProperties;
import io.crosstrain.scheduler.persistence.ResumeStore;
import io.crosstrain.scheduler.persistence.SchedulerStore;

/**
 * Publishes decisions that were committed but never acknowledged by Kafka: after a crash between commit and send
 * (the first sweep runs at start-up) or while the broker was unreachable. Only rows older than
 * {@code crosstrain.scheduler.republish-after} are taken, so the normal path, which publishes right after the commit,
 * is not raced.
 */
@Component
class OutboxSweeper {

    private static final Logger log = LoggerFactory.getLogger(OutboxSweeper.class);

    private final SchedulerStore store;
    private final ResumeStore resumes;
    private final DecisionPublisher publisher;
    private final SchedulerProperties props;

    OutboxSweeper(SchedulerStore store, ResumeStore resumes, DecisionPublisher publisher, SchedulerProperties props) {
        this.store = store;
        this.resumes = resumes;
        this.publisher = publisher;
        this.props = props;
    }

    @Scheduled(initialDelayString = "${crosstrain.scheduler.sweep-initial-delay-ms:2000}",
            fixedDelayString = "${crosstrain.scheduler.sweep-interval-ms:5000}")
    void sweep() {
        for (Plan plan : store.unpublishedPlans(props.republishAfter())) {
            log.info("republishing plan v{} of job {}", plan.planVersion(), plan.jobId());
            if (!publisher.publishPlan(plan)) {
                return; // broker still unreachable: try again next sweep
            }
        }
        for (SchedulerStore.PendingFailure f : store.unpublishedFailures(props.republishAfter())) {
            log.info("republishing failure of job {}", f.jobId());
            if (!publisher.publishFailure(f.jobId(), f.reason())) {
                return;
            }
        }
        for (ResumeStore.PendingSuspension s : resumes.unpublishedSuspensions(props.republishAfter())) {
            log.info("republishing suspension of job {}", s.jobId());
            if (!publisher.publishSuspension(s.jobId(), s.planVersion(), s.reason())) {
                return;
            }
        }
    }
}
