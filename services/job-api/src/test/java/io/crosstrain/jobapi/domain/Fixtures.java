package io.crosstrain.jobapi.domain;

import java.util.List;
import java.util.UUID;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;

/** Hand-made specs, plans and metrics for tests. */
public final class Fixtures {

    private Fixtures() {
    }

    public static JobSpec spec(String name) {
        return new JobSpec(name, new ModelSpec(2, 64, 4, 32, 0), DatasetSpec.bundled(), 3, 8, 0.001, 7L,
                JobSpec.SYNC_DP, JobSpec.BALANCED, List.of("dev-a", "dev-b"), null, null, 1);
    }

    /** Two devices in two datacenters: dev-a (bj, batch 6) and dev-b (sh, batch 2). */
    public static Plan plan(UUID jobId, String mode, Double timeScale) {
        return new Plan(jobId, 1, JobSpec.SYNC_DP, JobSpec.BALANCED, mode, timeScale, new ModelSpec(2, 64, 4, 32, 0),
                DatasetSpec.bundled(), 3, 8, 0.001, 7L, 1, List.of("bj", "sh"),
                List.of(new PlanDevice("dev-a", "node-a", "bj", "A100-80G", 0, 6, 1, 300.0, 0.02),
                        new PlanDevice("dev-b", "node-b", "sh", "H20", 1, 2, 1, 150.0, 0.013)),
                new Plan.Prediction(0.2, 0.9, 0.6, 1200));
    }

    public static StepMetric metric(UUID jobId, String device, int step, int batch, double loss, double busyMs,
                                    double commMs, double stepMs, long start, long end, long wanBytes, String hash,
                                    boolean last) {
        String dc = device.equals("dev-a") ? "bj" : "sh";
        return new StepMetric(jobId, 1, device, dc, device.equals("dev-a") ? "A100-80G" : "H20", step, batch, loss,
                busyMs / 2, busyMs, commMs, stepMs, start, end, wanBytes, 1000, hash, "emulated", last, null);
    }

    /**
     * Three steps of the {@link #plan}. Window (steps 2, 3): wall 200 ms; dev-a 12 samples in 120 ms busy, dev-b 4
     * samples in 80 ms busy. Hashes agree at steps 1 and 3.
     */
    public static List<StepMetric> threeSteps(UUID jobId) {
        return List.of(
                metric(jobId, "dev-a", 1, 6, 4.0, 100, 10, 200, 0, 200, 500, "h1-aaaaaaaaaaaaaaaa", false),
                metric(jobId, "dev-b", 1, 2, 2.0, 100, 10, 200, 0, 200, 700, "h1-aaaaaaaaaaaaaaaa", false),
                metric(jobId, "dev-a", 2, 6, 3.0, 60, 20, 100, 1000, 1100, 500, null, false),
                metric(jobId, "dev-b", 2, 2, 1.0, 40, 30, 100, 1000, 1100, 700, null, false),
                metric(jobId, "dev-a", 3, 6, 2.0, 60, 20, 100, 1100, 1200, 500, "h3-bbbbbbbbbbbbbbbb", true),
                metric(jobId, "dev-b", 3, 2, 2.0, 40, 30, 100, 1100, 1200, 700, "h3-bbbbbbbbbbbbbbbb", true));
    }
}
