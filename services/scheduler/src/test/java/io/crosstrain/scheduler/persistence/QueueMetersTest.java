package io.crosstrain.scheduler.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class QueueMetersTest {

    @Test
    void theGaugeReadsTheQueueEachTimeItIsRead() {
        SchedulerStore store = mock(SchedulerStore.class);
        when(store.queuedCount()).thenReturn(3L, 1L);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new QueueMeters(store, registry);

        var gauge = registry.get(QueueMeters.QUEUE_DEPTH).gauge();
        assertThat(gauge.value()).isEqualTo(3.0);
        assertThat(gauge.value()).isEqualTo(1.0);
        assertThat(gauge.getId().getTags()).isEmpty();
    }
}
