package io.crosstrain.jobapi.domain;

import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.crosstrain.contracts.JobState;

/**
 * What a run achieved (ARCHITECTURE.md §9). Figures that cannot be computed from the metrics at hand (no busy time,
 * a zero-length window) are null rather than invented.
 *
 * @param steps      distinct steps for which metrics arrived
 * @param samples    Σ batch over every metric of every step
 * @param wallSeconds from the first step's start to the last step's end, all devices
 * @param emulation  absent when the run was measured on real devices
 */
public record Report(
        UUID jobId,
        String name,
        JobState state,
        String mode,
        String strategy,
        String allocation,
        int planVersion,
        int steps,
        long samples,
        double wallSeconds,
        long parameters,
        Loss loss,
        Efficiency efficiency,
        List<DeviceFigures> devices,
        Wan wan,
        @JsonInclude(JsonInclude.Include.NON_NULL) Emulation emulation,
        Replicas replicas) {

    /** @param curve batch-weighted mean loss over the devices, per step */
    public record Loss(Double first, Double last, List<LossPoint> curve) {
    }

    public record LossPoint(int step, double loss) {
    }

    /**
     * @param eta                   achieved ÷ ideal samples/s over the measurement window
     * @param equalSplitEta         η of the equal-split baseline: measured when a baseline job succeeded, else the
     *                              planner's prediction
     * @param equalSplitEtaSource   {@code measured} or {@code predicted}
     * @param equalSplitJobId       the baseline job whose η was measured
     * @param communicationFraction Σ comm time ÷ Σ step time over the window
     * @param predictedEta          what the planner expected
     * @param warmupSteps           steps left out of the window
     * @param etaMeasures           what η measures in this mode, in words ({@link #ETA_EMULATED} or
     *                              {@link #ETA_MEASURED})
     */
    public record Efficiency(Double eta, Double equalSplitEta, String equalSplitEtaSource, UUID equalSplitJobId,
                             Double achievedSamplesPerSec, Double idealSamplesPerSec, Double communicationFraction,
                             Double predictedEta, int warmupSteps, int windowSteps, String etaMeasures) {
    }

    /** Emulated chips run at their paced speeds by construction: η sees what synchronisation and imbalance cost. */
    public static final String ETA_EMULATED = "synchronisation and load-imbalance losses against the emulated chips "
            + "(achieved ÷ Σ paced device speeds); not the chips' own utilisation";
    public static final String ETA_MEASURED = "achieved ÷ Σ the devices' measured solo speeds";
    /** A device speed under emulation: Σ batch ÷ Σ busy time, the busy time being paced to the chip. */
    public static final String SPEED_PACED = "paced";
    public static final String SPEED_MEASURED = "measured";

    /**
     * @param samplesPerSec the device's solo speed over the window: Σ batch ÷ Σ busy time (wall clock). Under
     *                      emulation the busy time is paced to the chip, so this is the emulated chip's catalogue
     *                      (or planned) speed scaled by the time scale k, by construction
     * @param busyFraction  Σ busy time ÷ window wall time
     * @param speedKind     {@link #SPEED_PACED} under emulation, {@link #SPEED_MEASURED} on real devices
     */
    public record DeviceFigures(String id, String datacenter, String chip, int batch, Double samplesPerSec,
                                Double busyFraction, String speedKind) {
    }

    /**
     * @param bytes       bytes received over the WAN, each datacenter counted once per step
     * @param syncDpBytes what plain fp32 synchronous data parallelism would have sent
     * @param reduction   syncDpBytes ÷ bytes, null when nothing crossed the WAN
     */
    public record Wan(long bytes, long syncDpBytes, Double reduction) {
    }

    public record Emulation(Double timeScale) {
    }

    /**
     * @param identical    true when at least one step was compared and every compared step agreed
     * @param checkedSteps (plan version, step) pairs whose hashes were compared: two or more of that version's
     *                     devices reported one (or the only device of a one-device plan did), every version counted
     * @param lastHash     the agreed hash of the latest compared step (null if it disagreed or none was compared)
     */
    public record Replicas(boolean identical, int checkedSteps, String lastHash) {
    }

    /** The equal-split baseline's measured η, when such a job has succeeded. */
    public record Baseline(UUID jobId, Double eta) {
    }
}
