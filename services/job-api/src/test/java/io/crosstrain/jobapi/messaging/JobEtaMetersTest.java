package io.crosstrain.jobapi.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.jobapi.domain.JobService;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.crosstrain.web.RequestRejectedException;

class JobEtaMetersTest {

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final JobService jobs = mock(JobService.class);
    final JobEtaMeters meters = new JobEtaMeters(jobs, registry, 2);

    double gauge(UUID job) {
        return registry.get(JobEtaMeters.ETA).tag("job", job.toString()).gauge().value();
    }

    @Test
    void keepsTheMostRecentlyUpdatedJobsOnly() {
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        UUID c = UUID.randomUUID();
        meters.set(a, 0.5);
        meters.set(b, 0.6);
        meters.set(a, 0.7); // a is the most recent now
        meters.set(c, 0.8); // pushes b out

        assertThat(registry.find(JobEtaMeters.ETA).gauges()).hasSize(2);
        assertThat(gauge(a)).isEqualTo(0.7);
        assertThat(gauge(c)).isEqualTo(0.8);
        assertThat(registry.find(JobEtaMeters.ETA).tag("job", b.toString()).gauge()).isNull();
    }

    @Test
    void onlyJobsWithNewMetricsAreRecomputedAndAJobWithoutAReportGetsNoSeries() {
        UUID a = UUID.randomUUID();
        when(jobs.report(a)).thenThrow(RequestRejectedException.notYet("no metrics yet"));
        meters.refresh();
        verify(jobs, never()).report(a);

        meters.metricArrived(a);
        meters.refresh();
        verify(jobs).report(a);
        assertThat(registry.find(JobEtaMeters.ETA).gauges()).isEmpty();
        assertThat(meters.eta(a)).isNull();
    }
}
