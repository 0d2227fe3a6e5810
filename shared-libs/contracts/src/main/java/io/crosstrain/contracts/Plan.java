package io.crosstrain.contracts;

import java.util.List;
import java.util.UUID;

/**
 * Published on {@link Topics#PLANS} (key = jobId). A re-plan bumps {@code planVersion}.
 *
 * @param mode       {@code emulated} or {@code measured-on-device}
 * @param timeScale  emulation time scale k (ARCHITECTURE.md §6); null on real devices
 * @param datacenters the datacenters taking part, sorted; relays sum partials in this order
 * @param startStep   first step run under this version (1 for the first plan). A device switches to it at the
 *                    first round at or after {@code startStep} whose update it has not applied yet, so a re-plan
 *                    after a failure ({@code startStep} = the stalled round) redoes that round, and a rebalance
 *                    (a round a few steps ahead) loses none
 * @param reason      why this version exists ("first plan", "device X is DOWN", "rebalance: ...")
 * @param recovery    true when a failure caused this version: the job is RECOVERING until it runs
 * @param sync        DiLoCo settings, resolved (null for sync DP and for plans older than DiLoCo)
 * @param links       WAN links between the plan's datacenters, for the relays to emulate (empty = not emulated)
 * @param optimizer   the replicas' inner optimizer, resolved (null = AdamW with its defaults)
 * @param memoryScale the memory scale the layouts were made for (emulated memory = memoryGb × memoryScale); null = 1
 * @param layouts     per datacenter how it is laid out (pipeline stages, replicas, bubble); empty in plans made
 *                    before pipelines. Which device runs which stage is in {@link PlanDevice#stage}
 * @param checkpoint  how often the job checkpoints and how many it keeps, resolved; null in plans made before
 *                    checkpoints (then the defaults apply)
 * @param resume      set on a version that resumes the whole job from a checkpoint (every device loads it); null
 *                    otherwise
 */
public record Plan(
        UUID jobId,
        int planVersion,
        String strategy,
        String allocation,
        String mode,
        Double timeScale,
        ModelSpec model,
        DatasetSpec dataset,
        int steps,
        int globalBatch,
        double learningRate,
        long seed,
        int hashEvery,
        List<String> datacenters,
        List<PlanDevice> devices,
        Prediction predicted,
        Integer startStep,
        String reason,
        Boolean recovery,
        SyncSpec sync,
        List<WanLink> links,
        OptimizerSpec optimizer,
        Double memoryScale,
        List<PlanLayout> layouts,
        CheckpointSpec checkpoint,
        ResumePoint resume) {

    /**
     * Plans written before versions existed have neither field: they start at step 1 and recover nothing. Steps
     * count from 1, so an earlier start means the first step.
     */
    public Plan {
        startStep = startStep == null ? 1 : Math.max(1, startStep);
        recovery = recovery != null && recovery;
        links = links == null ? List.of() : List.copyOf(links);
        layouts = layouts == null ? List.of() : List.copyOf(layouts);
    }

    /** Issue 17's shape: no checkpoint settings, no resume. */
    public Plan(UUID jobId, int planVersion, String strategy, String allocation, String mode, Double timeScale,
                ModelSpec model, DatasetSpec dataset, int steps, int globalBatch, double learningRate, long seed,
                int hashEvery, List<String> datacenters, List<PlanDevice> devices, Prediction predicted,
                Integer startStep, String reason, Boolean recovery, SyncSpec sync, List<WanLink> links,
                OptimizerSpec optimizer, Double memoryScale, List<PlanLayout> layouts) {
        this(jobId, planVersion, strategy, allocation, mode, timeScale, model, dataset, steps, globalBatch,
                learningRate, seed, hashEvery, datacenters, devices, predicted, startStep, reason, recovery, sync,
                links, optimizer, memoryScale, layouts, null, null);
    }

    /** Issue 5's shape: whole replicas only. */
    public Plan(UUID jobId, int planVersion, String strategy, String allocation, String mode, Double timeScale,
                ModelSpec model, DatasetSpec dataset, int steps, int globalBatch, double learningRate, long seed,
                int hashEvery, List<String> datacenters, List<PlanDevice> devices, Prediction predicted,
                Integer startStep, String reason, Boolean recovery, SyncSpec sync, List<WanLink> links,
                OptimizerSpec optimizer) {
        this(jobId, planVersion, strategy, allocation, mode, timeScale, model, dataset, steps, globalBatch,
                learningRate, seed, hashEvery, datacenters, devices, predicted, startStep, reason, recovery, sync,
                links, optimizer, null, null);
    }

    /** Issue 4's shape: the inner optimizer's defaults. */
    public Plan(UUID jobId, int planVersion, String strategy, String allocation, String mode, Double timeScale,
                ModelSpec model, DatasetSpec dataset, int steps, int globalBatch, double learningRate, long seed,
                int hashEvery, List<String> datacenters, List<PlanDevice> devices, Prediction predicted,
                Integer startStep, String reason, Boolean recovery, SyncSpec sync, List<WanLink> links) {
        this(jobId, planVersion, strategy, allocation, mode, timeScale, model, dataset, steps, globalBatch,
                learningRate, seed, hashEvery, datacenters, devices, predicted, startStep, reason, recovery, sync,
                links, null);
    }

    /** Issue 3's shape: no DiLoCo settings, no links. */
    public Plan(UUID jobId, int planVersion, String strategy, String allocation, String mode, Double timeScale,
                ModelSpec model, DatasetSpec dataset, int steps, int globalBatch, double learningRate, long seed,
                int hashEvery, List<String> datacenters, List<PlanDevice> devices, Prediction predicted,
                Integer startStep, String reason, Boolean recovery) {
        this(jobId, planVersion, strategy, allocation, mode, timeScale, model, dataset, steps, globalBatch,
                learningRate, seed, hashEvery, datacenters, devices, predicted, startStep, reason, recovery, null,
                null);
    }

    /** A first plan: version as given, starting at step 1. */
    public Plan(UUID jobId, int planVersion, String strategy, String allocation, String mode, Double timeScale,
                ModelSpec model, DatasetSpec dataset, int steps, int globalBatch, double learningRate, long seed,
                int hashEvery, List<String> datacenters, List<PlanDevice> devices, Prediction predicted) {
        this(jobId, planVersion, strategy, allocation, mode, timeScale, model, dataset, steps, globalBatch,
                learningRate, seed, hashEvery, datacenters, devices, predicted, 1, "first plan", false);
    }

    /** A later version of this plan over other devices. */
    public Plan next(List<String> datacenters, List<PlanDevice> devices, Prediction predicted, int startStep,
                     String reason, boolean recovery) {
        return new Plan(jobId, planVersion + 1, strategy, allocation, mode, timeScale, model, dataset, steps,
                globalBatch, learningRate, seed, hashEvery, datacenters, devices, predicted, startStep, reason,
                recovery, sync, links, optimizer, memoryScale, layouts, checkpoint, null);
    }

    /** This plan with DiLoCo settings. */
    public Plan withSync(SyncSpec newSync) {
        return new Plan(jobId, planVersion, strategy, allocation, mode, timeScale, model, dataset, steps,
                globalBatch, learningRate, seed, hashEvery, datacenters, devices, predicted, startStep, reason,
                recovery, newSync, links, optimizer, memoryScale, layouts, checkpoint, resume);
    }

    /** This plan with the WAN links its relays emulate. */
    public Plan withLinks(List<WanLink> newLinks) {
        return new Plan(jobId, planVersion, strategy, allocation, mode, timeScale, model, dataset, steps,
                globalBatch, learningRate, seed, hashEvery, datacenters, devices, predicted, startStep, reason,
                recovery, sync, newLinks, optimizer, memoryScale, layouts, checkpoint, resume);
    }

    /** This plan with its replicas' inner optimizer. */
    public Plan withOptimizer(OptimizerSpec newOptimizer) {
        return new Plan(jobId, planVersion, strategy, allocation, mode, timeScale, model, dataset, steps,
                globalBatch, learningRate, seed, hashEvery, datacenters, devices, predicted, startStep, reason,
                recovery, sync, links, newOptimizer, memoryScale, layouts, checkpoint, resume);
    }

    /** This plan with its memory scale and datacenter layouts. */
    public Plan withLayouts(Double newMemoryScale, List<PlanLayout> newLayouts) {
        return new Plan(jobId, planVersion, strategy, allocation, mode, timeScale, model, dataset, steps,
                globalBatch, learningRate, seed, hashEvery, datacenters, devices, predicted, startStep, reason,
                recovery, sync, links, optimizer, newMemoryScale, newLayouts, checkpoint, resume);
    }

    public double memoryScaleOrDefault() {
        return memoryScale == null ? 1.0 : memoryScale;
    }

    /** This plan with its checkpoint settings. */
    public Plan withCheckpoint(CheckpointSpec newCheckpoint) {
        return new Plan(jobId, planVersion, strategy, allocation, mode, timeScale, model, dataset, steps,
                globalBatch, learningRate, seed, hashEvery, datacenters, devices, predicted, startStep, reason,
                recovery, sync, links, optimizer, memoryScale, layouts, newCheckpoint, resume);
    }

    /** This plan resuming the whole job from {@code point}: it starts right after the checkpoint's step. */
    public Plan withResume(ResumePoint point) {
        return new Plan(jobId, planVersion, strategy, allocation, mode, timeScale, model, dataset, steps,
                globalBatch, learningRate, seed, hashEvery, datacenters, devices, predicted,
                (int) point.step() + 1, reason, recovery, sync, links, optimizer, memoryScale, layouts, checkpoint,
                point);
    }

    /** Checkpoint settings with every default filled in (also for plans that carry none). */
    public CheckpointSpec checkpointOrDefaults() {
        return (checkpoint == null ? CheckpointSpec.defaults() : checkpoint).resolved(strategy,
                syncOrDefaults().hOrDefault());
    }

    /** Whether a checkpoint follows step {@code step}: every {@code every} steps (DiLoCo: at an outer round) and last. */
    public boolean checkpointAfter(long step) {
        if (step == steps) {
            return true;
        }
        long every = checkpointOrDefaults().everyOrDefault();
        return step % every == 0 && (!diloco() || outerAfter(step));
    }

    /** True when some replica spans several devices. */
    public boolean pipelined() {
        return devices.stream().anyMatch(PlanDevice::staged);
    }

    /** The inner optimizer with every default filled in (also for plans that carry none). */
    public OptimizerSpec optimizerOrDefaults() {
        return optimizer == null ? OptimizerSpec.defaults() : optimizer.resolved();
    }

    /** The DiLoCo settings with every default filled in (also for plans that carry none). */
    public SyncSpec syncOrDefaults() {
        return sync == null ? SyncSpec.defaults() : sync.resolved();
    }

    /** DiLoCo across datacenters: inner rounds stay inside each datacenter, outer rounds every H steps. */
    public boolean diloco() {
        return JobSpec.DILOCO.equals(strategy);
    }

    /** Whether an outer round follows inner step {@code step} (every H steps and after the last one). */
    public boolean outerAfter(long step) {
        if (!diloco()) {
            return false;
        }
        return step % syncOrDefaults().h() == 0 || step == steps;
    }

    /** The link between two datacenters, if the plan carries one. */
    public java.util.Optional<WanLink> link(String x, String y) {
        return links.stream().filter(l -> l.joins(x, y)).findFirst();
    }

    public static final String EMULATED = "emulated";
    public static final String MEASURED = "measured-on-device";

    /**
     * What the planner expects, to compare with what is measured.
     *
     * @param bubbleFraction the pipeline bubble of the slowest replica; null in plans made before pipelines
     */
    public record Prediction(double stepSeconds, double eta, double equalSplitEta, long wanBytesPerStep,
                             Double bubbleFraction) {
        public Prediction(double stepSeconds, double eta, double equalSplitEta, long wanBytesPerStep) {
            this(stepSeconds, eta, equalSplitEta, wanBytesPerStep, null);
        }
    }

    public List<PlanDevice> devicesIn(String datacenter) {
        return devices.stream().filter(d -> d.datacenter().equals(datacenter)).toList();
    }
}
