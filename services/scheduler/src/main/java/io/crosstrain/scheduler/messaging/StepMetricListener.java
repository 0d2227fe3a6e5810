package io.crosstrain.scheduler.messaging;

import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.InvalidRecordException;
import io.crosstrain.scheduler.domain.Activity;
import tools.jackson.databind.json.JsonMapper;

/**
 * Step metrics tell the scheduler which rounds are committed (a metric is sent after the update was applied), so a
 * re-plan after a failure knows where to resume; their measured speeds drive rebalancing, and their arrival shows a
 * job is alive (the orphan rule).
 */
@Component
class StepMetricListener {

    private final JsonMapper json;
    private final Replanning replanning;
    private final Rebalancing rebalancing;
    private final Activity activity;

    StepMetricListener(JsonMapper json, Replanning replanning, Rebalancing rebalancing, Activity activity) {
        this.json = json;
        this.replanning = replanning;
        this.rebalancing = rebalancing;
        this.activity = activity;
    }

    @KafkaListener(id = "scheduler-step-metrics", groupId = "scheduler-step-metrics", topics = Topics.STEP_METRICS,
            properties = "max.poll.records=500")
    void onStepMetric(String value) {
        StepMetric m = value == null ? null : json.readValue(value, StepMetric.class);
        if (m == null || m.jobId() == null || m.deviceId() == null) {
            throw new InvalidRecordException("step metric without jobId or deviceId");
        }
        activity.metric(m.jobId(), m.planVersion());
        if (m.error() == null && m.step() > 0) {
            replanning.stepCommitted(m.jobId(), m.planVersion(), m.step());
            rebalancing.observe(m);
        }
    }
}
