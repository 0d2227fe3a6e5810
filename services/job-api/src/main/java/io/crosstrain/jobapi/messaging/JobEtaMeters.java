package io.crosstrain.jobapi.messaging;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import io.crosstrain.jobapi.domain.JobService;
import io.crosstrain.jobapi.domain.Report;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@value #ETA}{@code {job}}: the training efficiency η of a job (achieved ÷ ideal samples/s), the same figure as
 * {@code GET /api/v1/jobs/{id}/report} shows ({@link io.crosstrain.jobapi.domain.ReportCalculator}). A job whose step
 * metrics arrived since the last pass is recomputed every {@code crosstrain.job-api.metrics.eta-interval-ms} (10 s),
 * off the Kafka listener's transaction; only the {@code crosstrain.job-api.metrics.eta-jobs} (20) most recently
 * updated jobs keep a series, so the {@code job} tag stays bounded. A finished job keeps its last η until it is
 * pushed out.
 */
@Component
public class JobEtaMeters {

    /** Prometheus: {@code crosstrain_job_eta}. */
    public static final String ETA = "crosstrain.job.eta";

    private static final Logger log = LoggerFactory.getLogger(JobEtaMeters.class);

    private final JobService jobs;
    private final MeterRegistry registry;
    private final int maxJobs;
    private final Set<UUID> dirty = ConcurrentHashMap.newKeySet();
    /** Gauged jobs, least recently updated first. Guarded by itself. */
    private final LinkedHashMap<UUID, Holder> gauged = new LinkedHashMap<>();

    private static final class Holder {
        volatile double eta;
        Gauge gauge;
    }

    JobEtaMeters(JobService jobs, MeterRegistry registry,
                 @Value("${crosstrain.job-api.metrics.eta-jobs:20}") int maxJobs) {
        this.jobs = jobs;
        this.registry = registry;
        this.maxJobs = Math.max(1, maxJobs);
    }

    /** A step metric of {@code jobId} was stored: its η is recomputed at the next pass. */
    void metricArrived(UUID jobId) {
        dirty.add(jobId);
    }

    @Scheduled(fixedDelayString = "${crosstrain.job-api.metrics.eta-interval-ms:10000}",
            initialDelayString = "${crosstrain.job-api.metrics.eta-interval-ms:10000}")
    void refresh() {
        List<UUID> due = new ArrayList<>(dirty);
        dirty.removeAll(due);
        for (UUID id : due) {
            try {
                Report.Efficiency efficiency = jobs.report(id).efficiency();
                if (efficiency != null && efficiency.eta() != null && Double.isFinite(efficiency.eta())) {
                    set(id, efficiency.eta());
                }
            } catch (RuntimeException e) {
                // no metrics without an error yet, or the job is gone: nothing to show
                log.debug("no η for job {}: {}", id, e.getMessage());
            }
        }
    }

    /** The η a job's gauge shows, or null when the job has none (tests). */
    Double eta(UUID jobId) {
        synchronized (gauged) {
            Holder h = gauged.get(jobId);
            return h == null ? null : h.eta;
        }
    }

    void set(UUID id, double eta) {
        synchronized (gauged) {
            Holder h = gauged.remove(id);
            if (h == null) {
                h = new Holder();
                h.gauge = Gauge.builder(ETA, h, x -> x.eta).tag("job", id.toString())
                        .description("training efficiency: achieved over ideal samples/s, as the job's report has it")
                        .strongReference(true)
                        .register(registry);
            }
            h.eta = eta;
            gauged.put(id, h); // now the most recent
            Iterator<Map.Entry<UUID, Holder>> oldest = gauged.entrySet().iterator();
            while (gauged.size() > maxJobs && oldest.hasNext()) {
                registry.remove(oldest.next().getValue().gauge);
                oldest.remove();
            }
        }
    }
}
