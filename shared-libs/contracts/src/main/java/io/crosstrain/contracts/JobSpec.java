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
        int hashEvery) {

    public static final String BALANCED = "balanced";
    public static final String EQUAL = "equal";
    public static final String SYNC_DP = "sync-dp";
}
