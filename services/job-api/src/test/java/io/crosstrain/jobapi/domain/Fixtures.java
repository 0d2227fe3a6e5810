package io.crosstrain.jobapi.domain;

import java.util.List;
import java.util.UUID;

import io.crosstrain.contracts.CheckpointSpec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.PlanLayout;
import io.crosstrain.contracts.PlanStage;
import io.crosstrain.contracts.StepMetric;

/** Hand-made specs, plans and metrics for tests. */
public final class Fixtures {

    private Fixtures() {
    }

    public static JobSpec spec(String name) {
        return new JobSpec(name, new ModelSpec(2, 64, 4, 32, 0), DatasetSpec.bundled(), 3, 8, 0.001, 7L,
                JobSpec.SYNC_DP, JobSpec.BALANCED, List.of("dev-a", "dev-b"), null, null, 1);
    }

    /** {@link #spec} that keeps {@code keep} checkpoints. */
    public static JobSpec specKeeping(String name, int keep) {
        JobSpec b = spec(name);
        return new JobSpec(b.name(), b.model(), b.dataset(), b.steps(), b.globalBatch(), b.learningRate(), b.seed(),
                b.strategy(), b.allocation(), b.devices(), b.baselineFor(), b.timeScale(), b.hashEvery(), b.tenant(),
                b.priority(), b.placement(), b.sync(), b.optimizer(), b.memoryScale(), new CheckpointSpec(null, keep));
    }

    /** The same metric reported under another plan version. */
    public static StepMetric inVersion(StepMetric m, int version) {
        return new StepMetric(m.jobId(), version, m.deviceId(), m.datacenter(), m.chip(), m.step(), m.batch(),
                m.loss(), m.computeMs(), m.busyMs(), m.commMs(), m.stepMs(), m.startedAtMs(), m.endedAtMs(),
                m.wanBytes(), m.parameters(), m.weightsHash(), m.mode(), m.last(), m.error(), m.samplesPerSec(),
                m.microBatches(), m.modelKey(), m.roundSamples());
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

    /**
     * A pipelined plan of a 2-block model: in bj one replica {@code bj-r0} of two stages, p0 (block 0, H20, paced at
     * 20 chip samples/s on the whole model) and p1 (block 1, H20, 10 samples/s), batch 6 in 3 micro-batches; in sh the
     * whole replica w (A100-80G, batch 2). Time scale k = 10, memory scale 0.5, predicted bubble 0.25.
     */
    public static Plan pipelinedPlan(UUID jobId) {
        return new Plan(jobId, 1, JobSpec.SYNC_DP, JobSpec.BALANCED, Plan.EMULATED, 10.0,
                new ModelSpec(2, 64, 4, 32, 0), DatasetSpec.bundled(), 3, 8, 0.001, 7L, 1, List.of("bj", "sh"),
                List.of(stage("p0", "bj", "H20", 0, 6, 20.0, "bj-r0", 0, 2, 0, 0, 4e9, 8e9),
                        stage("p1", "bj", "H20", 1, 6, 10.0, "bj-r0", 1, 2, 1, 1, 3e9, 8e9),
                        new PlanDevice("w", "node-w", "sh", "A100-80G", 2, 2, 1, 5.0, 0.04, 5.0, "w", null)),
                new Plan.Prediction(0.5, 0.75, 0.6, 1200, 0.25))
                .withLayouts(0.5, List.of(
                        new PlanLayout("bj", 2, 1, 2, 0.5, 0.25, 0.8, List.of("bj-idle"), 0.7, null, null,
                                "the model fits no device alone"),
                        new PlanLayout("sh", 1, 1, 0, 0.4, 0.0, 1.0, List.of(), null, null, 1.0, null)));
    }

    /**
     * Two replicas of two stages in bj (bj-r0: p0 block 0, p1 block 1; bj-r1: q0, q1 alike) and two whole replicas,
     * w1 in bj and w2 in sh.
     */
    public static Plan twoPipelinesPlan(UUID jobId) {
        return new Plan(jobId, 1, JobSpec.SYNC_DP, JobSpec.BALANCED, Plan.EMULATED, 10.0,
                new ModelSpec(2, 64, 4, 32, 0), DatasetSpec.bundled(), 3, 16, 0.001, 7L, 1, List.of("bj", "sh"),
                List.of(stage("p0", "bj", "H20", 0, 6, 20.0, "bj-r0", 0, 2, 0, 0, 4e9, 8e9),
                        stage("p1", "bj", "H20", 1, 6, 10.0, "bj-r0", 1, 2, 1, 1, 3e9, 8e9),
                        stage("q0", "bj", "H20", 2, 6, 20.0, "bj-r1", 0, 2, 0, 0, 4e9, 8e9),
                        stage("q1", "bj", "H20", 3, 6, 10.0, "bj-r1", 1, 2, 1, 1, 3e9, 8e9),
                        new PlanDevice("w1", "node-w1", "bj", "A100-80G", 4, 2, 1, 5.0, 0.04, 5.0, "w1", null),
                        new PlanDevice("w2", "node-w2", "sh", "A100-80G", 5, 2, 1, 5.0, 0.04, 5.0, "w2", null)),
                new Plan.Prediction(0.5, 0.75, 0.6, 1200, 0.25));
    }

    /** A device running stage {@code index} of {@code stages} (blocks first..last) of {@code replica}. */
    public static PlanDevice stage(String id, String dc, String chip, int rank, int batch, double speed,
                                   String replica, int index, int stages, int first, int last, double memory,
                                   double capacity) {
        return new PlanDevice(id, "node-" + id, dc, chip, rank, batch, 3, speed, batch / (speed * 10.0), speed,
                replica, new PlanStage(index, stages, first, last, null, null, null, null, 2, 0.01, 0.001, 0.0001,
                memory, capacity));
    }

    /** A metric of the {@link #pipelinedPlan} (or {@link #twoPipelinesPlan}), with its chip speed and round. */
    public static StepMetric stageMetric(UUID jobId, String device, String dc, int step, int batch, double loss,
                                         double busyMs, double commMs, double stepMs, long start, long end,
                                         long wanBytes, String hash, boolean last, double samplesPerSec,
                                         int roundSamples) {
        return new StepMetric(jobId, 1, device, dc, dc.equals("bj") ? "H20" : "A100-80G", step, batch, loss,
                busyMs / 2, busyMs, commMs, stepMs, start, end, wanBytes, 1000, hash, "emulated", last, null,
                samplesPerSec, 3, null, roundSamples);
    }

    /**
     * Three steps of the {@link #pipelinedPlan}. Window (steps 2, 3): wall 200 ms. p0 busy 40 ms a step, reports 20
     * then 30 chip samples/s, loss NaN; p1 busy 70 ms, 10 samples/s, the replica's loss; w busy 40 ms (2 samples).
     * Every stage reports the replica's batch 6. Hashes at steps 1 and 3, one per range.
     *
     * @param roundSamples the committed round (8), or 0 as from workers that do not report it
     */
    public static List<StepMetric> pipelinedSteps(UUID jobId, int roundSamples) {
        double nan = Double.NaN;
        return List.of(
                stageMetric(jobId, "p0", "bj", 1, 6, nan, 100, 10, 200, 0, 200, 500, "s0-1", false, 20, roundSamples),
                stageMetric(jobId, "p1", "bj", 1, 6, 4.0, 100, 10, 200, 0, 200, 500, "s1-1", false, 10, roundSamples),
                stageMetric(jobId, "w", "sh", 1, 2, 2.0, 100, 10, 200, 0, 200, 700, "w-1", false, 5, roundSamples),
                stageMetric(jobId, "p0", "bj", 2, 6, nan, 40, 20, 100, 1000, 1100, 500, null, false, 20, roundSamples),
                stageMetric(jobId, "p1", "bj", 2, 6, 3.0, 70, 10, 100, 1000, 1100, 500, null, false, 10, roundSamples),
                stageMetric(jobId, "w", "sh", 2, 2, 1.0, 40, 30, 100, 1000, 1100, 700, null, false, 5, roundSamples),
                stageMetric(jobId, "p0", "bj", 3, 6, nan, 40, 20, 100, 1100, 1200, 500, "s0-3", true, 30,
                        roundSamples),
                stageMetric(jobId, "p1", "bj", 3, 6, 2.0, 70, 10, 100, 1100, 1200, 500, "s1-3", true, 10,
                        roundSamples),
                stageMetric(jobId, "w", "sh", 3, 2, 2.0, 40, 30, 100, 1100, 1200, 700, "w-3", true, 5,
                        roundSamples));
    }
}
