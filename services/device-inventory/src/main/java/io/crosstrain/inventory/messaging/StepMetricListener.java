package io.crosstrain.inventory.messaging;

import java.time.Clock;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.inventory.domain.ChipService;
import io.crosstrain.inventory.domain.Device;
import io.crosstrain.inventory.domain.InventoryService;
import io.crosstrain.inventory.domain.ProfileService;
import io.crosstrain.inventory.domain.SpeedSample;
import io.crosstrain.inventory.domain.StepMetricSamples;
import io.crosstrain.kafka.InvalidRecordException;
import io.crosstrain.planner.ChipSpec;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Learns throughput profiles from the step metrics every worker publishes, in a consumer group of its own so it
 * sees every metric whatever else consumes them. Failed steps, unmeasured speeds and metrics without a model key
 * teach nothing and are skipped; records that are not step metrics are dead-lettered.
 */
@Component
class StepMetricListener {

    private static final Logger log = LoggerFactory.getLogger(StepMetricListener.class);

    private final ProfileService profiles;
    private final InventoryService inventory;
    private final ChipService chips;
    private final Clock clock;
    private final JsonMapper json;

    StepMetricListener(ProfileService profiles, InventoryService inventory, ChipService chips, Clock clock,
                       JsonMapper json) {
        this.profiles = profiles;
        this.inventory = inventory;
        this.chips = chips;
        this.clock = clock;
        // tolerant reader: workers may add fields to the metric
        this.json = json.rebuild().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    }

    @KafkaListener(id = "inventory-step-metrics", topics = Topics.STEP_METRICS,
            groupId = "device-inventory-profiles", autoStartup = "${crosstrain.inventory.profiles.enabled:true}")
    void onStepMetric(String value) {
        StepMetric metric = parse(value);
        if (!StepMetricSamples.measuresSpeed(metric)) {
            return;
        }
        Optional<String> chip = StepMetricSamples.chipName(metric,
                inventory.device(metric.deviceId()).map(Device::chip));
        if (chip.isEmpty()) {
            log.debug("speed of unregistered device {} without a chip name ignored", metric.deviceId());
            return;
        }
        // catalogue spelling, so "h20" and "H20" feed one profile
        String name = chips.find(chip.get()).map(ChipSpec::name).orElse(chip.get());
        SpeedSample sample;
        try {
            sample = StepMetricSamples.sample(metric, name, clock.instant());
        } catch (IllegalArgumentException e) {
            throw new InvalidRecordException(e.getMessage(), e);
        }
        if (!profiles.record(sample)) {
            log.debug("step {} of {} in job {} was recorded before", metric.step(), metric.deviceId(),
                    metric.jobId());
        }
    }

    StepMetric parse(String value) {
        if (value == null) {
            throw new InvalidRecordException("step metric without a value");
        }
        try {
            StepMetric metric = json.readValue(value, StepMetric.class);
            StepMetricSamples.checkWellFormed(metric);
            return metric;
        } catch (JacksonException e) {
            throw new InvalidRecordException("not a step metric: " + e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new InvalidRecordException(e.getMessage(), e);
        }
    }
}
