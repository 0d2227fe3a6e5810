package io.crosstrain.inventory.messaging;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import io.crosstrain.inventory.domain.HealthTracker;
import io.crosstrain.inventory.persistence.DeviceRepository.HealthRow;

/**
 * Notices silence: a device that stops beating sends nothing, so something has to look. Every instance sweeps;
 * the conditional update in {@link HealthTracker#settle} lets exactly one of them record each change.
 */
@Component
class HealthSweep {

    private static final Logger log = LoggerFactory.getLogger(HealthSweep.class);

    private final HealthTracker health;

    HealthSweep(HealthTracker health) {
        this.health = health;
    }

    @Scheduled(fixedDelayString = "${crosstrain.inventory.health-sweep:1s}",
            initialDelayString = "${crosstrain.inventory.health-sweep:1s}")
    void sweep() {
        List<HealthRow> candidates;
        try {
            candidates = health.candidates();
        } catch (RuntimeException e) {
            log.warn("health sweep failed, will retry: {}", e.toString());
            return;
        }
        for (HealthRow row : candidates) {
            // one transaction per device: a failure on one must not hold back the others
            try {
                health.settle(row);
            } catch (RuntimeException e) {
                log.warn("health of device {} not settled, will retry: {}", row.id(), e.toString());
            }
        }
    }
}
