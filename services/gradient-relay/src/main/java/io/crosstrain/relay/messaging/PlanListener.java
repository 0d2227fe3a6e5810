package io.crosstrain.relay.messaging;

import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.ConsumerSeekAware;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.InvalidRecordException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keeps the newest plan of every job. Plans live only in memory, so on every start (and re-assignment) the relay
 * reads the whole plans topic again: it is small, and a restarted relay must know the plans of running jobs.
 * Group {@code relay-<dc>-plans} is unique per relay, so every relay sees every plan. (Each of the relay's
 * listeners has a group of its own, so that one joining does not make the others stop for a rebalance.)
 */
@Component
class PlanListener implements ConsumerSeekAware {

    private static final Logger log = LoggerFactory.getLogger(PlanListener.class);

    private final RelayStages stages;
    private final JsonMapper json;

    PlanListener(RelayStages stages, JsonMapper json) {
        this.stages = stages;
        this.json = json;
    }

    /** Malformed JSON is thrown to the shared error handler, which dead-letters it without retrying. */
    @KafkaListener(topics = Topics.PLANS, groupId = "relay-${crosstrain.relay.datacenter}-plans",
            clientIdPrefix = "relay-${crosstrain.relay.datacenter}-plans")
    void onPlan(ConsumerRecord<String, String> record) {
        Plan plan = json.readValue(record.value(), Plan.class);
        if (plan == null || plan.jobId() == null) {
            throw new InvalidRecordException("plan without jobId at offset " + record.offset());
        }
        if (stages.intraDc().planVersion(plan.jobId()) < plan.planVersion()) {
            log.info("plan version {} of job {}: datacenters {}, {} devices", plan.planVersion(), plan.jobId(),
                    plan.datacenters(), plan.devices() == null ? 0 : plan.devices().size());
        }
        // cross-DC first: a partial handed over in memory must find its plan there, not wait in a buffer
        stages.crossDc().onPlan(plan);
        stages.intraDc().onPlan(plan);
    }

    @Override
    public void onPartitionsAssigned(Map<TopicPartition, Long> assignments, ConsumerSeekCallback callback) {
        callback.seekToBeginning(assignments.keySet());
    }
}
