package io.crosstrain.jobapi.messaging;

import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.contracts.JobCommand;
import io.crosstrain.contracts.JobCommandResult;
import io.crosstrain.contracts.Topics;
import tools.jackson.databind.json.JsonMapper;

/** Tells the sender of every job command what became of it, on {@link Topics#JOB_COMMAND_RESULTS}. */
@Component
class CommandResults {

    private static final Logger log = LoggerFactory.getLogger(CommandResults.class);

    private final KafkaTemplate<String, String> kafka;
    private final JsonMapper json;
    private final Clock clock;

    CommandResults(KafkaTemplate<String, String> kafka, JsonMapper json, Clock clock) {
        this.kafka = kafka;
        this.json = json;
        this.clock = clock;
    }

    void publish(ConsumerRecord<String, String> record, JobCommand command, String outcome, String reason,
                 CallerScope sender) {
        String ref = record.topic() + "-" + record.partition() + "@" + record.offset();
        UUID jobId = command == null ? null : command.jobId();
        JobCommandResult result = new JobCommandResult(ref, jobId, command == null ? null : command.type(), outcome,
                reason, sender == null ? null : sender.principal(), clock.instant());
        try {
            kafka.send(Topics.JOB_COMMAND_RESULTS, jobId != null ? jobId.toString() : ref,
                    json.writeValueAsString(result)).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // the command itself is handled (or dead-lettered); only its receipt is missing
            log.warn("could not publish the result of command {} ({}): {}", ref, outcome, e.getMessage());
        }
    }
}
