package io.crosstrain.worker.domain;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.training.Corpus;

/** This node's devices and the runs they take part in. */
public final class WorkerNode {

    private static final Logger log = LoggerFactory.getLogger(WorkerNode.class);

    private final String nodeId;
    private final Set<String> deviceIds;
    private final Path dataDir;
    private final long roundTimeoutMillis;
    private final JobRun.Outbox outbox;
    private final Map<UUID, JobRun> runs = new ConcurrentHashMap<>();
    private final Map<UUID, Integer> seenPlanVersions = new ConcurrentHashMap<>();
    private final Map<UUID, String> samples = new ConcurrentHashMap<>();

    public WorkerNode(String nodeId, List<String> deviceIds, Path dataDir, long roundTimeoutMillis,
                      JobRun.Outbox outbox) {
        this.nodeId = nodeId;
        this.deviceIds = Set.copyOf(deviceIds);
        this.dataDir = dataDir;
        this.roundTimeoutMillis = roundTimeoutMillis;
        this.outbox = outbox;
    }

    /** Starts the plan's share of this node, once per (job, planVersion). */
    public synchronized Optional<JobRun> accept(Plan plan) {
        List<PlanDevice> local = plan.devices().stream().filter(d -> deviceIds.contains(d.deviceId())).toList();
        if (local.isEmpty()) {
            return Optional.empty();
        }
        Integer seen = seenPlanVersions.get(plan.jobId());
        if (seen != null && seen >= plan.planVersion()) {
            return Optional.empty();
        }
        seenPlanVersions.put(plan.jobId(), plan.planVersion());
        JobRun previous = runs.remove(plan.jobId());
        if (previous != null) {
            previous.stop("superseded by plan version " + plan.planVersion());
        }
        Corpus corpus = Datasets.load(plan.dataset(), dataDir);
        JobRun run = new JobRun(plan, local, corpus, outbox, roundTimeoutMillis);
        runs.put(plan.jobId(), run);
        run.onFinished(() -> {
            runs.remove(plan.jobId(), run);
            if (run.sample() != null) {
                samples.put(plan.jobId(), run.sample());
            }
        });
        log.info("node {} starts job {} v{} on {}", nodeId, plan.jobId(), plan.planVersion(),
                local.stream().map(d -> d.deviceId() + "(b=" + d.batch() + ")").collect(Collectors.joining(", ")));
        run.start();
        return Optional.of(run);
    }

    public Optional<JobRun> run(UUID jobId) {
        return Optional.ofNullable(runs.get(jobId));
    }

    public Optional<String> sample(UUID jobId) {
        return Optional.ofNullable(samples.get(jobId));
    }

    public Map<UUID, JobRun> runs() {
        return Map.copyOf(runs);
    }
}
