package io.crosstrain.worker.messaging;

import java.lang.management.ManagementFactory;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.Topics;
import io.crosstrain.worker.config.WorkerProperties;
import io.crosstrain.worker.domain.WorkerNode;
import tools.jackson.databind.json.JsonMapper;

/** Every worker reads every plan and starts the part that names its devices. */
@Component
class PlanListener {

    private static final Logger log = LoggerFactory.getLogger(PlanListener.class);

    private final WorkerNode node;
    private final JsonMapper mapper;
    private final long notBeforeMillis;

    PlanListener(WorkerNode node, JsonMapper mapper, WorkerProperties props) {
        this.node = node;
        this.mapper = mapper;
        this.notBeforeMillis = ManagementFactory.getRuntimeMXBean().getStartTime() - props.planMaxAge().toMillis();
    }

    @KafkaListener(topics = Topics.PLANS, groupId = "worker-${crosstrain.worker.node-id}",
            properties = "auto.offset.reset=earliest")
    void onPlan(ConsumerRecord<String, String> record) {
        if (record.timestamp() < notBeforeMillis) {
            log.debug("skipping plan from before this worker started: {}", record.key());
            return;
        }
        Plan plan = mapper.readValue(record.value(), Plan.class);
        node.accept(plan);
    }
}
