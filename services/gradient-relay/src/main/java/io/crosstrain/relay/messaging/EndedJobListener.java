package io.crosstrain.relay.messaging;

import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.ConsumerSeekAware;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.Topics;
import tools.jackson.databind.json.JsonMapper;

/**
 * Forgets a job on both stages once job-api says it ended (SUCCEEDED, FAILED, CANCELLED): a job that failed
 * mid-round would otherwise keep its open chunks, their fetch buffers and the committed offset they pin for good.
 * Like the plans, the events are read from the beginning on every start, so a restarted relay forgets the ended jobs
 * whose plans it reads again. Group {@code relay-<dc>-events}, one per relay.
 */
@Component
class EndedJobListener implements ConsumerSeekAware {

    private static final Logger log = LoggerFactory.getLogger(EndedJobListener.class);

    private final RelayStages stages;
    private final JsonMapper json;

    EndedJobListener(RelayStages stages, JsonMapper json) {
        this.stages = stages;
        this.json = json;
    }

    @KafkaListener(topics = Topics.JOB_EVENTS, groupId = "relay-${crosstrain.relay.datacenter}-events",
            clientIdPrefix = "relay-${crosstrain.relay.datacenter}-events")
    void onEvent(ConsumerRecord<String, String> record) {
        JobEvent event = json.readValue(record.value(), JobEvent.class);
        if (event == null || event.jobId() == null || !JobEvent.STATE_CHANGED.equals(event.type())
                || event.state() == null || !event.state().terminal()) {
            return;
        }
        int dropped = stages.intraDc().forget(event.jobId()) + stages.crossDc().forget(event.jobId());
        if (dropped > 0) {
            log.info("job {} {}: dropped {} open chunks and waiting contributions", event.jobId(), event.state(),
                    dropped);
        }
    }

    @Override
    public void onPartitionsAssigned(Map<TopicPartition, Long> assignments, ConsumerSeekCallback callback) {
        callback.seekToBeginning(assignments.keySet());
    }
}
