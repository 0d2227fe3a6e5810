package io.crosstrain.scheduler.persistence;

import org.springframework.stereotype.Component;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@value #QUEUE_DEPTH}: the jobs waiting in the scheduler's queue (status {@code QUEUED}), counted in the database
 * when the registry is read, so every scheduler instance reports the same figure. No tags: a tenant label would grow
 * with the tenants.
 */
@Component
public class QueueMeters {

    /** Prometheus: {@code crosstrain_scheduler_queue_depth}. */
    public static final String QUEUE_DEPTH = "crosstrain.scheduler.queue.depth";

    QueueMeters(SchedulerStore store, MeterRegistry registry) {
        Gauge.builder(QUEUE_DEPTH, store, SchedulerStore::queuedCount)
                .description("jobs waiting in the scheduler's queue")
                .register(registry);
    }
}
