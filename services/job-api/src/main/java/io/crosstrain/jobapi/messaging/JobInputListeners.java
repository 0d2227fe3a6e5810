package io.crosstrain.jobapi.messaging;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.contracts.JobCommand;
import io.crosstrain.contracts.JobCommandResult;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.jobapi.domain.JobCommands;
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
    private final JobCommands commands;
    private final CommandCallers callers;
    private final CommandResults results;

    JobInputListeners(JobService jobs, KafkaJson json, JobEtaMeters eta, JobCommands commands,
                      CommandCallers callers, CommandResults results) {
        this.jobs = jobs;
        this.json = json;
        this.eta = eta;
        this.commands = commands;
        this.callers = callers;
        this.results = results;
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

    /**
     * A command is applied only for the caller its credential header names, under the REST rules
     * ({@link JobCommands}); every command gets a result on job-command-results, and a rejected one also goes to the
     * dead-letter topic.
     */
    @KafkaListener(id = "job-api-commands", topics = Topics.JOB_COMMANDS, groupId = "job-api")
    void onCommand(ConsumerRecord<String, String> record) {
        JobCommand command = null;
        CallerScope sender = null;
        try {
            command = json.read(record.value(), JobCommand.class);
            if (command.type() == null) {
                throw new InvalidRecordException("command without a type");
            }
            Header credential = record.headers().lastHeader(JobCommand.CREDENTIAL_HEADER);
            sender = callers.of(credential == null ? null : new String(credential.value(), StandardCharsets.UTF_8),
                    Instant.ofEpochMilli(record.timestamp()));
            JobService.Outcome outcome = commands.apply(command, sender);
            log.info("{} command for {} from {}: {}", command.type(), command.jobId(), sender.principal(), outcome);
            results.publish(record, command, outcome.name().toLowerCase(Locale.ROOT),
                    outcome == JobService.Outcome.IGNORED ? "nothing to do in the job's state" : null, sender);
        } catch (InvalidRecordException | IllegalArgumentException e) {
            results.publish(record, command, JobCommandResult.REJECTED, e.getMessage(), sender);
            throw e;
        } catch (RequestRejectedException e) {
            String reason = e.errors().isEmpty() ? e.getMessage()
                    : e.errors().stream().map(f -> f.field() + ": " + f.message()).collect(Collectors.joining("; "));
            results.publish(record, command, JobCommandResult.REJECTED, reason, sender);
            throw new InvalidRecordException("rejected " + (command == null ? "" : command.type() + " ")
                    + "command: " + reason, e);
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
