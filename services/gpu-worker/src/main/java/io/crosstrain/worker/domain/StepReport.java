package io.crosstrain.worker.domain;

import java.util.UUID;

import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;

/**
 * How one device's steps under one plan version are measured and reported as {@link StepMetric}s: the time its chip
 * takes, when its weights are hashed, the speed it reports (a whole replica's or a pipeline stage's). One per device
 * thread and segment, confined to that thread; the device's path does not change while it runs the segment.
 */
final class StepReport {

    /**
     * What a step's compute took: {@code t0} and {@code startedAtMs} when the step began (nano and wall clock), its
     * loss (NaN on a stage that is not the last), the CPU's time, the chip's paced time in seconds (since {@code t0}
     * for a stage), the time the device counts as busy, and the emulated time its gradient is ready (epoch ms; 0 =
     * now).
     */
    record Work(long t0, long startedAtMs, double loss, long computeNanos, double paced, long busyNanos,
                long readyAtMs) {

        /** A pipeline stage's part of its replica's 1F1B step, each micro-batch paced to the stage's chip already. */
        static Work ofStage(DeviceStepPath.StageStep st, long t0, long startedAtMs, boolean emulated) {
            return new Work(t0, startedAtMs, st.loss(), st.timing().computeNanos(),
                    (st.timing().endNanos() - t0) / 1e9, // the stage waited for its chip already
                    st.timing().busyNanos(), emulated ? st.timing().readyAtMs() : 0L);
        }

        /**
         * A whole replica's step: its chip's paced time at the device's current {@code speedShare} of its speed.
         */
        static Work ofReplica(DeviceStepPath.Computed computed, PlanDevice device, double speedShare, long t0,
                              long startedAtMs, boolean emulated) {
            long computeNanos = computed.computeNanos();
            // the emulated chip runs at its nominal speed (times any emulated slow-down), whatever speed
            // the plan assumed: a plan made from measurements must not change how fast the chip is
            // (planned paced time b/(s_plan·k) rescaled to b/(s_nominal·share·k))
            double paced = device.chipSamplesPerSec() > 0
                    ? device.pacedStepSeconds() * device.chipSamplesPerSec() / (device.emulatedSpeed() * speedShare)
                    : device.pacedStepSeconds() / speedShare;
            // a device whose real compute overran its paced time was slower than its chip: count it
            long busyNanos = emulated ? Math.max((long) (paced * 1e9), computeNanos) : computeNanos;
            // under emulation the gradient leaves as soon as the CPU is done, stamped with the time the
            // chip would be done; the round's real Kafka time then passes inside the paced wait
            long readyAtMs = emulated ? startedAtMs + Math.round(paced * 1000) : 0L;
            return new Work(t0, startedAtMs, computed.loss(), computeNanos, paced, busyNanos, readyAtMs);
        }
    }

    private final UUID jobId;
    private final Plan plan;
    private final PlanDevice device;
    private final DeviceStepPath path;
    private final StageWiring stages;
    private final boolean emulated;
    private final String modelKey;

    StepReport(UUID jobId, Plan plan, PlanDevice device, DeviceStepPath path, StageWiring stages, boolean emulated,
               String modelKey) {
        this.jobId = jobId;
        this.plan = plan;
        this.device = device;
        this.path = path;
        this.stages = stages;
        this.emulated = emulated;
        this.modelKey = modelKey;
    }

    /**
     * The metric of step {@code step}, its weights hashed when due; the step ends now.
     *
     * @param outerNow a DiLoCo outer round followed the step
     * @param samples  the samples the round's average covered
     */
    StepMetric metric(int step, Work work, long commNanos, long wanBytes, boolean outerNow, boolean last,
                      int samples) {
        String hash = hash(step, outerNow, last);
        long endNanos = System.nanoTime();
        long t0 = work.t0();
        long startedAtMs = work.startedAtMs();
        return new StepMetric(jobId, plan.planVersion(), device.deviceId(), device.datacenter(), device.chip(), step,
                device.batch(), work.loss(), work.computeNanos() / 1e6, work.busyNanos() / 1e6, commNanos / 1e6,
                (endNanos - t0) / 1e6, startedAtMs, startedAtMs + (endNanos - t0) / 1_000_000, wanBytes,
                path.totalParameters(), hash, plan.mode(), last, null, samplesPerSec(work.busyNanos()),
                Math.max(1, device.microBatches()), modelKey, samples);
    }

    /** The weights hash to report with step {@code step}, or null when none is due. */
    private String hash(int step, boolean outerNow, boolean last) {
        int hashEvery = Math.max(1, plan.hashEvery());
        // under DiLoCo replicas of different datacenters agree only right after an outer round
        boolean comparable = !plan.diloco() || outerNow;
        return comparable && (last || step % hashEvery == 0 || plan.diloco()) ? path.weightsHash() : null;
    }

    private double samplesPerSec(long busyNanos) {
        double busySeconds = busyNanos / 1e9;
        if (device.staged() && emulated && busySeconds > 0) {
            // a stage's speed in whole-model terms: its chip's, as the time it was busy shows it (a
            // device that kept up with its chip was busy its nominal time, at the nominal speed)
            return device.emulatedSpeed() * stages.nominalStepSeconds(device, path) / busySeconds;
        }
        return busySeconds <= 0 ? 0.0
                : emulated && plan.timeScale() != null
                        ? device.batch() / (busySeconds * plan.timeScale())
                        : device.batch() / busySeconds;
    }

    /** The metric a device reports when it fails at step {@code step}: no figures, the reason. */
    static StepMetric failure(UUID jobId, Plan plan, PlanDevice device, int step, String reason) {
        return new StepMetric(jobId, plan.planVersion(), device.deviceId(), device.datacenter(), device.chip(), step,
                device.batch(), Double.NaN, 0, 0, 0, 0, System.currentTimeMillis(), System.currentTimeMillis(), 0, 0,
                null, plan.mode(), false, reason);
    }
}
