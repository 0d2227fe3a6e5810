package io.crosstrain.jobapi.domain;

import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.crosstrain.contracts.JobState;

/**
 * What a run achieved (docs/architecture.md §9). Figures that cannot be computed from the metrics at hand (no busy
 * time, a zero-length window) are null rather than invented.
 *
 * @param steps          distinct steps for which metrics arrived
 * @param samples        Σ of each committed round's samples, else Σ batch counting each replica once per step (a
 *                       pipelined replica reports its batch on every stage)
 * @param wallSeconds    from the first step's start to the last step's end, all devices
 * @param bubbleFraction measured, of the latest plan's pipelined replica with the longest step over the window:
 *                       1 − the busy fraction of its busiest stage; null when the plan has no pipelined replica
 *                       (or none of its devices reported in the window)
 * @param layouts        per datacenter of the latest plan, how it is laid out, with each stage's measured busy
 *                       fraction
 * @param emulation      absent when the run was measured on real devices
 * @param checkpoints    the job's complete checkpoints still in the store, oldest first (§13)
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
        Double bubbleFraction,
        List<DeviceFigures> devices,
        List<Layout> layouts,
        Wan wan,
        @JsonInclude(JsonInclude.Include.NON_NULL) Emulation emulation,
        Replicas replicas,
        List<Checkpoint> checkpoints) {

    public Report {
        checkpoints = checkpoints == null ? List.of() : List.copyOf(checkpoints);
    }

    /** The same report listing {@code list} as the job's checkpoints. */
    public Report withCheckpoints(List<Checkpoint> list) {
        return new Report(jobId, name, state, mode, strategy, allocation, planVersion, steps, samples, wallSeconds,
                parameters, loss, efficiency, bubbleFraction, devices, layouts, wan, emulation, replicas, list);
    }

    /**
     * A complete checkpoint: its manifest was written after every shard.
     *
     * @param step         the last step it holds
     * @param planVersion  the plan version that took it
     * @param bytes        all its shards together
     * @param uploadMillis the slowest shard's upload (uploads run beside training)
     * @param pauseMillis  the longest a device stood still to copy its state out
     * @param location     where its manifest is, for people ({@code file:///…} or {@code s3://…})
     * @param manifest     the manifest's key in the checkpoint store
     */
    public record Checkpoint(long step, int planVersion, long bytes, double uploadMillis, double pauseMillis,
                             String location, String manifest, java.time.Instant createdAt) {
    }

    /**
     * @param curve per step, the batch-weighted mean loss over the devices that report a finite loss (whole replicas
     *              and last stages; the other stages report NaN); a step without any is left out
     */
    public record Loss(Double first, Double last, List<LossPoint> curve) {
    }

    public record LossPoint(int step, double loss) {
    }

    /**
     * @param eta                   achieved ÷ ideal samples/s over the measurement window; achieved counts each
     *                              replica's samples once, ideal is Σ the devices' whole-model solo speeds
     * @param equalSplitEta         η of the equal-split baseline: measured when a baseline job succeeded, else the
     *                              planner's prediction
     * @param equalSplitEtaSource   {@code measured} or {@code predicted}
     * @param equalSplitJobId       the baseline job whose η was measured
     * @param communicationFraction Σ comm time ÷ Σ step time over the window
     * @param predictedEta          what the planner expected
     * @param warmupSteps           steps left out of the window
     * @param etaMeasures           what η measures in this mode, in words ({@link #ETA_EMULATED} or
     *                              {@link #ETA_MEASURED})
     * @param predictedBubbleFraction the planner's bubble of the slowest pipelined replica (null in plans made
     *                              before pipelines); the measured one is {@link Report#bubbleFraction}
     */
    public record Efficiency(Double eta, Double equalSplitEta, String equalSplitEtaSource, UUID equalSplitJobId,
                             Double achievedSamplesPerSec, Double idealSamplesPerSec, Double communicationFraction,
                             Double predictedEta, int warmupSteps, int windowSteps, String etaMeasures,
                             Double predictedBubbleFraction) {
    }

    /** Emulated chips run at their paced speeds by construction: η sees what synchronisation and imbalance cost. */
    public static final String ETA_EMULATED = "synchronisation and load-imbalance losses against the emulated chips "
            + "(achieved ÷ Σ paced device speeds); not the chips' own utilisation";
    public static final String ETA_MEASURED = "achieved ÷ Σ the devices' measured solo speeds";
    /**
     * A device speed under emulation: Σ batch ÷ Σ busy time, the busy time being paced to the chip (a pipeline
     * stage: its chip's paced whole-model speed).
     */
    public static final String SPEED_PACED = "paced";
    public static final String SPEED_MEASURED = "measured";

    /**
     * @param batch         its batch per step in the latest plan (a stage's is its replica's)
     * @param samplesPerSec the device's solo speed on the whole model over the window, wall samples/s. A whole replica:
     *                      Σ batch ÷ Σ busy time; under emulation the busy time is paced to the chip, so this is the
     *                      emulated chip's catalogue (or planned) speed scaled by the time scale k, by construction.
     *                      A pipeline stage: the mean of its metrics' whole-model chip speed ({@code samplesPerSec})
     *                      × k; under emulation, when none carries a speed, the plan's paced speed × k
     * @param busyFraction  Σ busy time ÷ window wall time
     * @param speedKind     {@link #SPEED_PACED} under emulation, {@link #SPEED_MEASURED} on real devices
     * @param replica       the pipelined replica the device is a stage of (absent for a whole replica)
     * @param stage         its stage index, 0 = first (absent for a whole replica)
     * @param layers        its blocks, e.g. {@code 0-2} (absent for a whole replica)
     */
    public record DeviceFigures(String id, String datacenter, String chip, int batch, Double samplesPerSec,
                                Double busyFraction, String speedKind,
                                @JsonInclude(JsonInclude.Include.NON_NULL) String replica,
                                @JsonInclude(JsonInclude.Include.NON_NULL) Integer stage,
                                @JsonInclude(JsonInclude.Include.NON_NULL) String layers) {
    }

    /**
     * How the latest plan lays out one datacenter, with what was measured over the window.
     *
     * @param stages                  pipeline stages per replica (1 = whole replicas)
     * @param microBatchSize          the plan's largest micro-batch (0 for whole replicas); null when the plan states
     *                                no layout (plans made before pipelines), like the three predicted figures
     * @param predictedStepSeconds    the planner's step of the slowest replica, chip seconds
     * @param predictedBubbleFraction the planner's bubble of that replica
     * @param predictedEta            the planner's η of the datacenter
     * @param bubbleFraction          measured, of the datacenter's pipelined replica with the longest step (as
     *                                {@link Report#bubbleFraction}); null without pipelined replicas
     * @param replicas                in rank order
     * @param idle                    devices of the datacenter the plan leaves out
     */
    public record Layout(String datacenter, int stages, Integer microBatchSize, Double predictedStepSeconds,
                         Double predictedBubbleFraction, Double predictedEta, Double bubbleFraction,
                         List<ReplicaLayout> replicas, List<String> idle) {
    }

    /**
     * @param id             the replica (a whole replica's is its device's id unless the plan names it)
     * @param batch          samples per step
     * @param stepSeconds    measured: the longest of its devices' mean step wall time over the window (wall
     *                       seconds); null when none reported in the window
     * @param bubbleFraction measured for a pipelined replica: 1 − the busy fraction of its busiest stage; null for a
     *                       whole replica
     * @param stages         in stage order; a whole replica has one
     */
    public record ReplicaLayout(String id, int batch, int microBatches, Double stepSeconds, Double bubbleFraction,
                                List<StageFigures> stages) {
    }

    /**
     * A stage of a replica: the plan's figures and the measured busy fraction.
     *
     * @param firstLayer    null when the plan gives the device no stage (a whole replica of a plan made before
     *                      pipelines), like {@code lastLayer}, {@code layers} and the memory figures
     * @param layers        e.g. {@code 0-2}
     * @param memoryBytes   what the stage needs on its device (state plus activations in flight), from the plan
     * @param capacityBytes what the device holds for it at the plan's memory scale, from the plan
     * @param busyFraction  measured: Σ busy time ÷ window wall time of its device (as in {@link DeviceFigures});
     *                      1 − it is the stage's idle share: pipeline bubble and waiting
     */
    public record StageFigures(int index, String device, String chip, Integer firstLayer, Integer lastLayer,
                               String layers, Double memoryBytes, Double capacityBytes, Double busyFraction) {
    }

    /**
     * @param bytes       bytes received over the WAN, each datacenter counted once per step
     * @param syncDpBytes what plain fp32 synchronous data parallelism would have sent
     * @param reduction   syncDpBytes ÷ bytes, null when nothing crossed the WAN
     */
    public record Wan(long bytes, long syncDpBytes, Double reduction) {
    }

    /**
     * @param timeScale   the plan's time scale k
     * @param memoryScale the plan's memory scale (emulated memory = the chip's memory × it); 1 when the plan has none
     */
    public record Emulation(Double timeScale, double memoryScale) {
    }

    /**
     * Replica hashes are compared within groups of devices holding the same parameter range ({@link ReplicaCheck}):
     * whole replicas with whole replicas, a stage with the same stage of other replicas.
     *
     * @param identical    true when at least one step was compared and every group agreed at every compared step
     * @param checkedSteps (plan version, step) pairs at which some group's hashes were compared: two or more of that
     *                     version's devices in the group reported one (or the only device of a one-device group did),
     *                     every version counted
     * @param lastHash     the agreed hash of the whole-replica group's latest compared step (null if it disagreed,
     *                     none was compared, or no version has whole replicas: a stage's hash covers only its range;
     *                     see {@code groups})
     * @param groups       per parameter range, whole replicas first, then stages by block
     */
    public record Replicas(boolean identical, int checkedSteps, String lastHash, List<ReplicaGroup> groups) {
    }

    /**
     * @param range        {@code whole} or the stage's blocks, e.g. {@code layers 0-2}
     * @param devices      the devices that held the range under some plan version, in version then rank order
     * @param identical    at least one step compared and every compared step agreed
     * @param checkedSteps (plan version, step) pairs whose hashes of this range were compared
     * @param lastHash     the agreed hash of the latest compared step (null if it disagreed or none was compared)
     */
    public record ReplicaGroup(String range, List<String> devices, boolean identical, int checkedSteps,
                               String lastHash) {
    }

    /** The equal-split baseline's measured η, when such a job has succeeded. */
    public record Baseline(UUID jobId, Double eta) {
    }
}
