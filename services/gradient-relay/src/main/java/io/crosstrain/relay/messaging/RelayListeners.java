package io.crosstrain.relay.messaging;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.InvalidRecordException;
import io.crosstrain.relay.domain.RoundAggregator.Stage;
import tools.jackson.databind.json.JsonMapper;

/**
 * The relay's three consumers, all in group {@code relay-<dc>} (unique per relay, so every relay sees every plan and
 * every partial): plans, this datacenter's grad-up chunks, and every datacenter's partials on grad-wan.
 */
@Component
class RelayListeners {

    private static final Logger log = LoggerFactory.getLogger(RelayListeners.class);

    private final RelayStages stages;
    private final JsonMapper json;

    RelayListeners(RelayStages stages, JsonMapper json) {
        this.stages = stages;
        this.json = json;
    }

    /** Malformed JSON is thrown to the shared error handler, which dead-letters it without retrying. */
    @KafkaListener(topics = Topics.PLANS, groupId = "relay-${crosstrain.relay.datacenter}",
            clientIdPrefix = "relay-${crosstrain.relay.datacenter}-plans")
    void onPlan(ConsumerRecord<String, String> record) {
        Plan plan = json.readValue(record.value(), Plan.class);
        if (plan == null || plan.jobId() == null) {
            throw new InvalidRecordException("plan without jobId at offset " + record.offset());
        }
        log.info("plan version {} of job {}: datacenters {}, {} devices", plan.planVersion(), plan.jobId(),
                plan.datacenters(), plan.devices() == null ? 0 : plan.devices().size());
        stages.intraDc().onPlan(plan);
        stages.crossDc().onPlan(plan);
    }

    @KafkaListener(topics = "#{T(io.crosstrain.contracts.Topics).gradUp('${crosstrain.relay.datacenter}')}",
            groupId = "relay-${crosstrain.relay.datacenter}",
            clientIdPrefix = "relay-${crosstrain.relay.datacenter}-up",
            containerFactory = "gradListenerFactory")
    void onUp(ConsumerRecord<String, byte[]> record) {
        stages.in(Stage.INTRA_DC);
        stages.intraDc().offer(record.key(), record.value(), record);
    }

    @KafkaListener(topics = Topics.GRAD_WAN, groupId = "relay-${crosstrain.relay.datacenter}",
            clientIdPrefix = "relay-${crosstrain.relay.datacenter}-wan",
            containerFactory = "gradListenerFactory")
    void onWan(ConsumerRecord<String, byte[]> record) {
        stages.in(Stage.CROSS_DC);
        stages.crossDc().offer(record.key(), record.value(), record);
    }
}
