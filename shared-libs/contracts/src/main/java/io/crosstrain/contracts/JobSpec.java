package io.crosstrain.contracts;

import java.util.List;
import java.util.UUID;

/**
 * What a user asks to train.
 *
 * @param allocation   {@code balanced} (per-device batch proportional to speed, ARCHITECTURE.md §5) or {@code equal}
 * @param devices      device ids to use; empty = every registered device
 * @param baselineFor  when this job is the equal-split baseline of another job, that job's id
 * @param timeScale    emulation time scale k (§6); null = calibrate automatically
 * @param hashEvery    check replica identity every this many steps
 * @param tenant       owner of the job; quotas are per tenant (null = {@value #DEFAULT_TENANT})
 * @param priority     higher runs first when devices are scarce (null = 0)
 * @param placement    constraints on the devices (null = none)
 * @param sync         DiLoCo settings (H, WAN codec, outer optimizer); null = defaults, ignored by sync DP
 * @param optimizer    the inner optimizer (null = AdamW with its defaults)
 * @param memoryScale  emulated chips hold {@code memoryGb × memoryScale} (docs/architecture.md §11), so a small model
 *                     can stand in for a large one and need the layouts the large one would; null = 1. Ignored on
 *                     real chips
 */
public record JobSpec(
        String name,
        ModelSpec model,
        DatasetSpec dataset,
        int steps,
        int globalBatch,
        double learningRate,
        long seed,
        String strategy,
        String allocation,
        List<String> devices,
        UUID baselineFor,
        Double timeScale,
        int hashEvery,
        String tenant,
        Integer priority,
        Placement placement,
        SyncSpec sync,
        OptimizerSpec optimizer,
        Double memoryScale,
        CheckpointSpec checkpoint) {

    public static final String DEFAULT_TENANT = "default";
    public static final String AUTO = "auto";
    public static final String DILOCO = "diloco";

    /** Issue 17's shape: checkpoint defaults. */
    public JobSpec(String name, ModelSpec model, DatasetSpec dataset, int steps, int globalBatch, double learningRate,
                   long seed, String strategy, String allocation, List<String> devices, UUID baselineFor,
                   Double timeScale, int hashEvery, String tenant, Integer priority, Placement placement,
                   SyncSpec sync, OptimizerSpec optimizer, Double memoryScale) {
        this(name, model, dataset, steps, globalBatch, learningRate, seed, strategy, allocation, devices, baselineFor,
                timeScale, hashEvery, tenant, priority, placement, sync, optimizer, memoryScale, null);
    }

    /** Issue 5's shape: real memory. */
    public JobSpec(String name, ModelSpec model, DatasetSpec dataset, int steps, int globalBatch, double learningRate,
                   long seed, String strategy, String allocation, List<String> devices, UUID baselineFor,
                   Double timeScale, int hashEvery, String tenant, Integer priority, Placement placement,
                   SyncSpec sync, OptimizerSpec optimizer) {
        this(name, model, dataset, steps, globalBatch, learningRate, seed, strategy, allocation, devices, baselineFor,
                timeScale, hashEvery, tenant, priority, placement, sync, optimizer, null);
    }

    /** Issue 4's shape: the inner optimizer's defaults. */
    public JobSpec(String name, ModelSpec model, DatasetSpec dataset, int steps, int globalBatch, double learningRate,
                   long seed, String strategy, String allocation, List<String> devices, UUID baselineFor,
                   Double timeScale, int hashEvery, String tenant, Integer priority, Placement placement,
                   SyncSpec sync) {
        this(name, model, dataset, steps, globalBatch, learningRate, seed, strategy, allocation, devices, baselineFor,
                timeScale, hashEvery, tenant, priority, placement, sync, null);
    }

    /** The foundation's shape: default tenant, priority 0, no placement constraints. */
    public JobSpec(String name, ModelSpec model, DatasetSpec dataset, int steps, int globalBatch, double learningRate,
                   long seed, String strategy, String allocation, List<String> devices, UUID baselineFor,
                   Double timeScale, int hashEvery) {
        this(name, model, dataset, steps, globalBatch, learningRate, seed, strategy, allocation, devices, baselineFor,
                timeScale, hashEvery, null, null, null);
    }

    /** Issue 3's shape: everything but the DiLoCo settings. */
    public JobSpec(String name, ModelSpec model, DatasetSpec dataset, int steps, int globalBatch, double learningRate,
                   long seed, String strategy, String allocation, List<String> devices, UUID baselineFor,
                   Double timeScale, int hashEvery, String tenant, Integer priority, Placement placement) {
        this(name, model, dataset, steps, globalBatch, learningRate, seed, strategy, allocation, devices, baselineFor,
                timeScale, hashEvery, tenant, priority, placement, null);
    }

    public OptimizerSpec optimizerOrDefaults() {
        return optimizer == null ? OptimizerSpec.defaults() : optimizer.resolved();
    }

    public SyncSpec syncOrDefaults() {
        return sync == null ? SyncSpec.defaults() : sync.resolved();
    }

    public String tenantOrDefault() {
        return tenant == null || tenant.isBlank() ? DEFAULT_TENANT : tenant;
    }

    /** The same spec owned by {@code owner}. */
    public JobSpec withTenant(String owner) {
        return new JobSpec(name, model, dataset, steps, globalBatch, learningRate, seed, strategy, allocation, devices,
                baselineFor, timeScale, hashEvery, owner, priority, placement, sync, optimizer, memoryScale, checkpoint);
    }

    /** The same spec with the strategy {@code auto} was resolved to. */
    public JobSpec withStrategy(String resolved) {
        return new JobSpec(name, model, dataset, steps, globalBatch, learningRate, seed, resolved, allocation, devices,
                baselineFor, timeScale, hashEvery, tenant, priority, placement, sync, optimizer, memoryScale, checkpoint);
    }

    /** Checkpoint settings with every default filled in for this spec's strategy. */
    public CheckpointSpec checkpointOrDefaults() {
        return (checkpoint == null ? CheckpointSpec.defaults() : checkpoint).resolved(strategy,
                syncOrDefaults().hOrDefault());
    }

    public double memoryScaleOrDefault() {
        return memoryScale == null ? 1.0 : memoryScale;
    }

    public int priorityOrDefault() {
        return priority == null ? 0 : priority;
    }

    public Placement placementOrNone() {
        return placement == null ? Placement.none() : placement;
    }

    public static final String BALANCED = "balanced";
    public static final String EQUAL = "equal";
    public static final String SYNC_DP = "sync-dp";
}
