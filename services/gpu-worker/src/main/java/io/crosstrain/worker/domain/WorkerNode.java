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

import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.training.Corpus;
import io.crosstrain.worker.pipeline.ActivationHub;

/** This node's devices and the runs they take part in. */
public final class WorkerNode {

    private static final Logger log = LoggerFactory.getLogger(WorkerNode.class);

    private final String nodeId;
    private final Set<String> deviceIds;
    private final Path dataDir;
    private final long roundTimeoutMillis;
    private final JobRun.Outbox outbox;
    private final JobRun.StateSource states;
    /** Pipeline hand-overs of this node's stages. */
    private final ActivationHub hub;
    private final Checkpointing checkpoints;
    private final Map<UUID, JobRun> runs = new ConcurrentHashMap<>();
    /** The newest plan version seen per job (so a replayed plan starts nothing); bounded like {@link #stopping}. */
    private final Map<UUID, Integer> seenPlanVersions = bounded(STOPPING_MEMORY);
    /** The closing text sample of recently finished jobs. */
    private final Map<UUID, String> samples = java.util.Collections.synchronizedMap(bounded(SAMPLES_MEMORY));
    /** Emulated slow-downs: device id → share of its chip's speed it runs at. */
    private final Map<String, Double> speedShares = new ConcurrentHashMap<>();
    /** Jobs seen being cancelled or ended, the latest state of each; bounded, the oldest forgotten first. */
    private final Map<UUID, JobState> stopping = new java.util.LinkedHashMap<>(64, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, JobState> eldest) {
            return size() > STOPPING_MEMORY;
        }
    };
    static final int STOPPING_MEMORY = 10_000;
    static final int SAMPLES_MEMORY = 100;

    /** Insertion-ordered and forgetting the oldest beyond {@code limit}: what a node keeps per job never grows. */
    private static <V> Map<UUID, V> bounded(int limit) {
        return new java.util.LinkedHashMap<>(64, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<UUID, V> eldest) {
                return size() > limit;
            }
        };
    }

    /** Jobs this node remembers anything of (runs, plan versions, samples): bounded whatever runs through it. */
    synchronized int rememberedJobs() {
        java.util.Set<UUID> all = new java.util.HashSet<>(runs.keySet());
        all.addAll(seenPlanVersions.keySet());
        synchronized (samples) {
            all.addAll(samples.keySet());
        }
        return all.size();
    }

    public WorkerNode(String nodeId, List<String> deviceIds, Path dataDir, long roundTimeoutMillis,
                      JobRun.Outbox outbox) {
        this(nodeId, deviceIds, dataDir, roundTimeoutMillis, outbox, (job, version, round) -> Optional.empty());
    }

    public WorkerNode(String nodeId, List<String> deviceIds, Path dataDir, long roundTimeoutMillis,
                      JobRun.Outbox outbox, JobRun.StateSource states) {
        this(nodeId, deviceIds, dataDir, roundTimeoutMillis, outbox, states, new ActivationHub());
    }

    public WorkerNode(String nodeId, List<String> deviceIds, Path dataDir, long roundTimeoutMillis,
                      JobRun.Outbox outbox, JobRun.StateSource states, ActivationHub hub) {
        this(nodeId, deviceIds, dataDir, roundTimeoutMillis, outbox, states, hub, Checkpointing.none());
    }

    /** @param checkpoints the node's checkpoint store and uploads, shared by its runs */
    public WorkerNode(String nodeId, List<String> deviceIds, Path dataDir, long roundTimeoutMillis,
                      JobRun.Outbox outbox, JobRun.StateSource states, ActivationHub hub,
                      Checkpointing checkpoints) {
        this.hub = hub;
        this.checkpoints = checkpoints;
        this.states = states;
        this.nodeId = nodeId;
        this.deviceIds = Set.copyOf(deviceIds);
        this.dataDir = dataDir;
        this.roundTimeoutMillis = roundTimeoutMillis;
        this.outbox = outbox;
    }

    /**
     * Starts the plan's share of this node, or hands a newer version to the job's running run. A node that never ran
     * the job and is named from a later step joins it with the state the others publish, or, when the version
     * resumes the whole job (a restarted worker), with the checkpoint it names.
     */
    public synchronized Optional<JobRun> accept(Plan plan) {
        JobState known = stopping.get(plan.jobId());
        if (known != null && known.terminal()) {
            log.debug("node {}: job {} is {} already; plan v{} is not started", nodeId, plan.jobId(), known,
                    plan.planVersion());
            return Optional.empty();
        }
        Integer seen = seenPlanVersions.get(plan.jobId());
        if (seen != null && seen >= plan.planVersion()) {
            return Optional.empty();
        }
        JobRun running = runs.get(plan.jobId());
        if (running != null) {
            seenPlanVersions.put(plan.jobId(), plan.planVersion());
            running.replan(plan);
            return Optional.of(running);
        }
        List<PlanDevice> local = plan.devices().stream().filter(d -> deviceIds.contains(d.deviceId())).toList();
        if (local.isEmpty()) {
            return Optional.empty();
        }
        if (plan.startStep() > plan.steps()) {
            // a version that takes over after the last step has nothing to run (the job ended before it came)
            log.info("node {}: plan v{} of job {} starts at step {}, after its last step {}: nothing to start", nodeId,
                    plan.planVersion(), plan.jobId(), plan.startStep(), plan.steps());
            seenPlanVersions.put(plan.jobId(), plan.planVersion());
            return Optional.empty();
        }
        seenPlanVersions.put(plan.jobId(), plan.planVersion());
        Corpus corpus = Datasets.load(plan.dataset(), dataDir);
        // a plan starting after step 1 makes this node join a running job: its devices load the published state
        // (or the checkpoint, when the plan resumes the job)
        JobRun run = new JobRun(plan, deviceIds, corpus, outbox, roundTimeoutMillis,
                id -> speedShares.getOrDefault(id, 1.0), states, hub, checkpoints);
        runs.put(plan.jobId(), run);
        run.onFinished(() -> {
            runs.remove(plan.jobId(), run);
            if (run.sample() != null) {
                samples.put(plan.jobId(), run.sample());
            }
        });
        log.info("node {} starts job {} v{} on {}", nodeId, plan.jobId(), plan.planVersion(),
                local.stream().map(d -> d.deviceId() + "(b=" + d.batch() + ")").collect(Collectors.joining(", ")));
        if (known == JobState.CANCELLING) {
            // the others may be running it: this node's first round carries the request, so all stop after it
            run.requestStop("job " + plan.jobId() + " was CANCELLING before its plan reached node " + nodeId);
        }
        run.start();
        return Optional.of(run);
    }

    /**
     * A job's new lifecycle state (ARCHITECTURE.md §7). {@code CANCELLING}: the job's run here asks every replica to
     * stop after one common committed round and report it as the last step ({@link JobRun#requestStop}); a plan
     * arriving later starts with the request. A terminal state: later plans of the job are not started; after
     * {@code FAILED} nobody waits for more metrics, so a run still going here stops at once (after {@code SUCCEEDED} or
     * {@code CANCELLED} every device reported its last step already: what still runs is finishing). Other states
     * change nothing.
     *
     * @return whether a run on this node was told to stop
     */
    public synchronized boolean onJobState(UUID jobId, JobState state, String reason) {
        if (state != JobState.CANCELLING && !state.terminal()) {
            return false;
        }
        JobState before = stopping.get(jobId);
        if (before != null && before.terminal()) {
            return false; // nothing comes after a terminal state
        }
        stopping.put(jobId, state);
        if (state.terminal()) {
            seenPlanVersions.remove(jobId); // its tombstone in stopping keeps later plans out
        }
        JobRun run = runs.get(jobId);
        if (run == null) {
            return false;
        }
        String why = "job " + jobId + " is " + state + (reason == null || reason.isBlank() ? "" : " (" + reason + ")");
        if (state == JobState.CANCELLING) {
            return run.requestStop(why);
        }
        if (state != JobState.FAILED) {
            return false;
        }
        log.info("node {}: {}; its run here stops now", nodeId, why);
        run.stop(why);
        return true;
    }

    /**
     * Emulates a device running at a share of its chip's speed (e.g. 0.6 = 40 % slower), as thermal throttling or a
     * noisy neighbour would; 1 restores it.
     */
    public void setSpeedShare(String deviceId, double share) {
        if (!deviceIds.contains(deviceId)) {
            throw new IllegalArgumentException("device " + deviceId + " is not on node " + nodeId);
        }
        if (!(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("share must be in (0, 1], got " + share);
        }
        speedShares.put(deviceId, share);
    }

    public Map<String, Double> speedShares() {
        return Map.copyOf(speedShares);
    }

    /** Jobs with a run on this node now. */
    public int runningJobs() {
        return runs.size();
    }

    /** Jobs not known to have ended whose plan versions this node tracks (an ended job is dropped). */
    public synchronized int trackedJobs() {
        return seenPlanVersions.size();
    }

    /** Pipeline hand-overs held on this node (delivered and not taken, or awaited). */
    public int heldHandovers() {
        return hub.held();
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
