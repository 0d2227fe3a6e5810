package io.crosstrain.worker.messaging;

import java.lang.management.ManagementFactory;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.Topics;
import io.crosstrain.worker.config.WorkerProperties;
import io.crosstrain.worker.domain.WorkerNode;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Job state changes from job-api: a job going to {@code CANCELLING} is stopped cleanly on this node, a terminal one is
 * not started again (see {@link WorkerNode#onJobState}).
 *
 * <p>A consumer group of this node's own, so every node reads every event. It starts from the earliest offset the
 * first time and from its committed offset after a restart, so a worker that was down when a job was cancelled still
 * learns of it before (or after) that job's plan reaches it; events from longer than {@code plan-max-age} before it
 * started are history, as plans of that age are.
 */
@Component
class JobEventListener {

    private static final Logger log = LoggerFactory.getLogger(JobEventListener.class);

    private final WorkerNode node;
    private final JsonMapper mapper;
    private final long notBeforeMillis;

    JobEventListener(WorkerNode node, JsonMapper mapper, WorkerProperties props) {
        this.node = node;
        this.mapper = mapper;
        this.notBeforeMillis = ManagementFactory.getRuntimeMXBean().getStartTime() - props.planMaxAge().toMillis();
    }

    @KafkaListener(topics = Topics.JOB_EVENTS, groupId = "worker-${crosstrain.worker.node-id}-events",
            properties = "auto.offset.reset=earliest")
    void onEvent(ConsumerRecord<String, String> record) {
        if (record.timestamp() < notBeforeMillis || record.value() == null) {
            return;
        }
        JobEvent event;
        try {
            event = mapper.readValue(record.value(), JobEvent.class);
        } catch (JacksonException e) {
            // the topic's owners (job-api, the scheduler) dead-letter bad events; a worker only skips them
            log.warn("skipping unreadable job event {}: {}", record.key(), e.getOriginalMessage());
            return;
        }
        if (event == null || !JobEvent.STATE_CHANGED.equals(event.type()) || event.jobId() == null
                || event.state() == null) {
            return;
        }
        node.onJobState(event.jobId(), event.state(), event.reason());
    }
}
