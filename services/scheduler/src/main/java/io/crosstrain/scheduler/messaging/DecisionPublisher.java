package io.crosstrain.scheduler.messaging;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.JobCommand;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.Topics;
import io.crosstrain.scheduler.config.SchedulerProperties;
import io.crosstrain.scheduler.persistence.ResumeStore;
import io.crosstrain.scheduler.persistence.SchedulerStore;
import io.crosstrain.web.ServiceCalls;
import tools.jackson.databind.json.JsonMapper;

/**
 * Publishes stored decisions: plans on {@code crosstrain.plans}, failures and suspensions as {@code fail} and
 * {@code suspend} commands on {@code crosstrain.job-commands}. Called only after the decision is committed; a row is marked published once the
 * broker acknowledged it, and a failed send leaves it for {@link OutboxSweeper}.
 */
@Component
public class DecisionPublisher {

    private static final Logger log = LoggerFactory.getLogger(DecisionPublisher.class);

    private final KafkaTemplate<String, String> kafka;
    private final JsonMapper json;
    private final SchedulerStore store;
    private final ResumeStore resumes;
    private final SchedulerProperties props;
    private final ServiceCalls serviceCalls;

    DecisionPublisher(KafkaTemplate<String, String> kafka, JsonMapper json, SchedulerStore store, ResumeStore resumes,
                      SchedulerProperties props, ServiceCalls serviceCalls) {
        this.serviceCalls = serviceCalls;
        this.kafka = kafka;
        this.json = json;
        this.store = store;
        this.resumes = resumes;
        this.props = props;
    }

    public boolean publishPlan(Plan plan) {
        if (send(Topics.PLANS, plan.jobId(), json.writeValueAsString(plan))) {
            store.markPlanPublished(plan.jobId(), plan.planVersion());
            log.info("published plan v{} of job {} over {} devices", plan.planVersion(), plan.jobId(),
                    plan.devices().size());
            return true;
        }
        return false;
    }

    public boolean publishFailure(UUID jobId, String reason) {
        JobCommand command = new JobCommand(JobCommand.FAIL, jobId, null, reason);
        if (sendCommand(jobId, command)) {
            store.markFailurePublished(jobId);
            log.info("asked job-api to fail job {}: {}", jobId, reason);
            return true;
        }
        return false;
    }

    public boolean publishSuspension(UUID jobId, int planVersion, String reason) {
        JobCommand command = new JobCommand(JobCommand.SUSPEND, jobId, null, reason);
        if (sendCommand(jobId, command)) {
            resumes.markSuspensionPublished(jobId, planVersion);
            log.info("asked job-api to suspend job {}: {}", jobId, reason);
            return true;
        }
        return false;
    }

    /** Commands carry the scheduler's caller token: job-api obeys fail and suspend from the scheduler alone. */
    private boolean sendCommand(UUID jobId, JobCommand command) {
        ProducerRecord<String, String> record = new ProducerRecord<>(Topics.JOB_COMMANDS, jobId.toString(),
                json.writeValueAsString(command));
        record.headers().add(JobCommand.CREDENTIAL_HEADER, serviceCalls.token().getBytes(StandardCharsets.UTF_8));
        return send(record, jobId);
    }

    private boolean send(String topic, UUID jobId, String value) {
        return send(new ProducerRecord<>(topic, jobId.toString(), value), jobId);
    }

    private boolean send(ProducerRecord<String, String> record, UUID jobId) {
        String topic = record.topic();
        try {
            kafka.send(record).get(props.publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            log.warn("could not publish to {} for job {} (will retry from the outbox): {}", topic, jobId,
                    e.getMessage());
            return false;
        }
    }
}
