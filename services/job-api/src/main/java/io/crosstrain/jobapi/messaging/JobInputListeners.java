package io.crosstrain.jobapi.messaging;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.JobCommand;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.jobapi.domain.JobService;
import io.crosstrain.kafka.InvalidRecordException;
import io.crosstrain.web.RequestRejectedException;

/**
 * Plans from the scheduler, commands, and step metrics from the workers. Each record is checked for the fields the
 * state machine relies on; one that lacks them can never be processed and is dead-lettered.
 */
@Component
class JobInputListeners {

    private static final Logger log = LoggerFactory.getLogger(JobInputListeners.class);

    private final JobService jobs;
    private final KafkaJson json;
    private final JobEtaMeters eta;

    JobInputListeners(JobService jobs, KafkaJson json, JobEtaMeters eta) {
        this.jobs = jobs;
        this.json = json;
        this.eta = eta;
    }

    @KafkaListener(id = "job-api-plans", topics = Topics.PLANS, groupId = "job-api")
    void onPlan(String value) {
        Plan plan = json.read(value, Plan.class);
        if (plan.jobId() == null || plan.planVersion() < 0 || plan.devices() == null || plan.devices().isEmpty()) {
            throw new InvalidRecordException("plan without jobId, planVersion or devices");
        }
        for (PlanDevice d : plan.devices()) {
            if (d == null || d.deviceId() == null || d.deviceId().isBlank()) {
                throw new InvalidRecordException("plan of " + plan.jobId() + " has a device without an id");
            }
        }
        log.debug("plan v{} for {}: {}", plan.planVersion(), plan.jobId(), jobs.applyPlan(plan, value));
    }

    @KafkaListener(id = "job-api-commands", topics = Topics.JOB_COMMANDS, groupId = "job-api")
    void onCommand(String value) {
        JobCommand command = json.read(value, JobCommand.class);
        if (command.type() == null) {
            throw new InvalidRecordException("command without a type");
        }
        try {
            log.info("{} command for {}: {}", command.type(), command.jobId(), jobs.applyCommand(command));
        } catch (RequestRejectedException e) {
            // a submit with an invalid spec: the same rules as REST, reported on the dead-letter topic
            throw new InvalidRecordException("rejected " + command.type() + " command: " + e.errors(), e);
        }
    }

    @KafkaListener(id = "job-api-step-metrics", topics = Topics.STEP_METRICS, groupId = "job-api")
    void onStepMetric(String value) {
        StepMetric m = json.read(value, StepMetric.class);
        if (m.jobId() == null || m.deviceId() == null || m.deviceId().isBlank() || m.step() < 0 || m.batch() < 0
                || m.planVersion() < 0) {
            throw new InvalidRecordException("step metric without jobId or deviceId, or with a negative figure");
        }
        if (jobs.applyMetric(m) == JobService.Outcome.APPLIED) {
            eta.metricArrived(m.jobId()); // after the commit: the η pass reads what was stored
        }
    }
}
