package io.crosstrain.contracts;

/**
 * How often a job checkpoints to durable storage (docs/architecture.md §13). Either field may be null and then takes
 * its default, so specs and plans written before checkpoints existed still read.
 *
 * @param every committed rounds between checkpoints (a DiLoCo job counts inner steps and checkpoints only right after
 *              an outer round); the last step is always checkpointed
 * @param keep  how many complete checkpoints of the job the store keeps; older ones are deleted
 */
public record CheckpointSpec(Integer every, Integer keep) {

    /** Sync DP: a checkpoint every this many steps unless the spec says otherwise. */
    public static final int DEFAULT_EVERY_SYNC_DP = 50;
    public static final int DEFAULT_KEEP = 3;
    public static final int MAX_KEEP = 100;

    public static CheckpointSpec defaults() {
        return new CheckpointSpec(null, null);
    }

    /** Every default filled in: DiLoCo checkpoints every outer round (every {@code h} steps), sync DP every 50. */
    public CheckpointSpec resolved(String strategy, int h) {
        int e = every != null ? every : JobSpec.DILOCO.equals(strategy) ? h : DEFAULT_EVERY_SYNC_DP;
        return new CheckpointSpec(e, keep != null ? keep : DEFAULT_KEEP);
    }

    public int everyOrDefault() {
        return every == null ? DEFAULT_EVERY_SYNC_DP : every;
    }

    public int keepOrDefault() {
        return keep == null ? DEFAULT_KEEP : keep;
    }
}
