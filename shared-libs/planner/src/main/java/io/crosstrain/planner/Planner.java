package io.crosstrain.planner;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.PlanDevice;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Plans one synchronous group of devices: speeds, memory caps, batch split, ranks and the emulation time scale.
 *
 * <p>Malformed requests (unknown allocation mode, a device without id or datacenter, duplicate ids, an unknown chip
 * where its figures are needed, a non-positive measured speed or given time scale) throw
 * {@link IllegalArgumentException}; a well-formed request that cannot be met (not enough memory, no devices, no
 * CPU cost to calibrate emulation against) returns {@code feasible=false} with the reason.
 */
public final class Planner {

    /** Share of the host CPU emulated work may use when the time scale is calibrated here (§6: "about half"). */
    public static final double DEFAULT_CPU_BUDGET = 0.5;

    /**
     * @param deviceId              unique id
     * @param chip                  catalogue name; only looked up when a figure below is missing
     * @param measuredSamplesPerSec measured speed for this model, null = roofline prior from the catalogue
     * @param maxMicroBatch         known largest micro-batch, null = memory cap from the cost model
     * @param cpuSecondsPerSample   measured CPU cost of one sample on the emulating host (0 = unknown)
     */
    public record DeviceInput(String deviceId, String nodeId, String datacenter, String chip,
                              Double measuredSamplesPerSec, Integer maxMicroBatch, double cpuSecondsPerSample) {
    }

    /**
     * @param allocation "balanced" or "equal" ({@link JobSpec#BALANCED} / {@link JobSpec#EQUAL}); null = balanced
     * @param timeScale  emulation time scale k; null = calibrate with {@link EmulationScale} and
     *                   the planner's CPU budget; ignored when not emulated
     * @param hostCores  cores of the emulating host, used when calibrating
     * @param emulated   false on real accelerators: no time scale, no pacing
     */
    public record Request(List<DeviceInput> devices, ModelProfile model, int globalBatch, String allocation,
                          boolean allowAccumulation, Double timeScale, int hostCores, boolean emulated) {
    }

    /** One device's share; same shape as {@link PlanDevice}. */
    public record DevicePlan(String deviceId, String nodeId, String datacenter, String chip, int rank, int batch,
                             int microBatches, double chipSamplesPerSec, double pacedStepSeconds) {

        public PlanDevice toPlanDevice() {
            return new PlanDevice(deviceId, nodeId, datacenter, chip, rank, batch, microBatches, chipSamplesPerSec,
                    pacedStepSeconds);
        }
    }

    /**
     * @param devices                ranked by (datacenter, deviceId); empty when infeasible
     * @param datacenters            distinct, sorted
     * @param timeScale              k, null when not emulated or infeasible
     * @param predictedStepSeconds   max paced step time (emulated) or max b_i/s_i (real chips); 0 when infeasible
     * @param predictedEta           η of the chosen allocation; 0 when infeasible
     * @param predictedEqualSplitEta η of the equal split of the same devices and G; 0 when that split cannot run
     */
    public record Result(boolean feasible, String reason, List<DevicePlan> devices, List<String> datacenters,
                         Double timeScale, double predictedStepSeconds, double predictedEta,
                         double predictedEqualSplitEta) {
    }

    private final ChipCatalogue catalogue;

    private final double cpuBudget;
    private final double minStepSeconds;

    public Planner(ChipCatalogue catalogue) {
        this(catalogue, DEFAULT_CPU_BUDGET, 0);
    }

    /**
     * @param cpuBudget      share of the host CPU that emulated compute may use when the time scale is calibrated
     * @param minStepSeconds shortest balanced step the calibrated time scale may give (0 = no floor): emulation
     *                       shrinks chip time by k but not the real time a round spends in Kafka, so a floor keeps
     *                       that real cost a small share of a step, as a fast interconnect would
     */
    public Planner(ChipCatalogue catalogue, double cpuBudget, double minStepSeconds) {
        if (!(minStepSeconds >= 0) || Double.isInfinite(minStepSeconds)) {
            throw new IllegalArgumentException("minStepSeconds must be >= 0, not " + minStepSeconds);
        }
        this.minStepSeconds = minStepSeconds;
        if (!(cpuBudget > 0 && cpuBudget <= 1)) {
            throw new IllegalArgumentException("cpuBudget must be in (0, 1], not " + cpuBudget);
        }
        this.cpuBudget = cpuBudget;
        this.catalogue = Objects.requireNonNull(catalogue, "catalogue");
    }

    /** The same planner over another catalogue, e.g. the built-in chips plus those registered over REST. */
    public Planner withCatalogue(ChipCatalogue other) {
        return new Planner(other, cpuBudget, minStepSeconds);
    }

    public Result plan(Request r) {
        Objects.requireNonNull(r, "request");
        Objects.requireNonNull(r.devices(), "devices");
        boolean equal = mode(r.allocation());
        List<DeviceInput> devices = sortedAndChecked(r.devices());
        List<String> datacenters = devices.stream().map(DeviceInput::datacenter).distinct().sorted().toList();

        int n = devices.size();
        double[] speeds = new double[n];
        int[] caps = new int[n];
        double[] cpu = new double[n];
        for (int i = 0; i < n; i++) {
            DeviceInput d = devices.get(i);
            speeds[i] = speed(d, r.model());
            caps[i] = cap(d, r.model());
            cpu[i] = d.cpuSecondsPerSample();
            if (!(cpu[i] >= 0) || Double.isInfinite(cpu[i])) {
                throw new IllegalArgumentException("device " + d.deviceId() + ": cpuSecondsPerSample must be "
                        + "non-negative and finite, got " + cpu[i]);
            }
        }

        Allocation balanced = BatchAllocator.balanced(speeds, caps, r.globalBatch(), r.allowAccumulation());
        Allocation equalSplit = BatchAllocator.equalSplit(speeds, caps, r.globalBatch(), r.allowAccumulation());
        Allocation chosen = equal ? equalSplit : balanced;
        if (!chosen.feasible()) {
            return infeasible(chosen.reason(), datacenters);
        }
        double equalEta = equalSplit.feasible() ? BatchAllocator.eta(equalSplit.batch(), speeds) : 0.0;

        Double k = null;
        if (r.emulated()) {
            if (r.timeScale() != null) {
                if (!(r.timeScale() > 0) || r.timeScale().isInfinite()) {
                    throw new IllegalArgumentException("timeScale must be positive and finite, got " + r.timeScale());
                }
                k = r.timeScale();
            } else {
                if (r.hostCores() < 1) {
                    throw new IllegalArgumentException("hostCores must be at least 1 to calibrate the time scale, got "
                            + r.hostCores());
                }
                // Always from the balanced split: a balanced job and its equal-split baseline share k.
                try {
                    k = EmulationScale.timeScale(balanced.batch(), speeds, cpu, r.hostCores(), cpuBudget);
                } catch (IllegalArgumentException e) {
                    return infeasible("cannot calibrate the emulation time scale: " + e.getMessage(), datacenters);
                }
                k = EmulationScale.atMostFor(k, balanced.batch(), speeds, minStepSeconds);
            }
        }

        int[] batch = chosen.batch();
        int[] micro = chosen.microBatches();
        List<DevicePlan> plans = new ArrayList<>(n);
        double maxPaced = 0;
        for (int i = 0; i < n; i++) {
            DeviceInput d = devices.get(i);
            double paced = k == null ? 0.0 : EmulationScale.pacedSeconds(batch[i], speeds[i], k);
            maxPaced = Math.max(maxPaced, paced);
            plans.add(new DevicePlan(d.deviceId(), d.nodeId(), d.datacenter(), d.chip(), i, batch[i], micro[i],
                    speeds[i], paced));
        }
        double step = k == null ? chosen.stepTime() : maxPaced;
        return new Result(true, null, List.copyOf(plans), datacenters, k, step,
                BatchAllocator.eta(batch, speeds), equalEta);
    }

    /** The roofline prior of a catalogue chip for a model, or empty when the catalogue does not know the chip. */
    public java.util.OptionalDouble priorSamplesPerSec(String chip, ModelProfile model) {
        return catalogue.find(chip)
                .map(c -> java.util.OptionalDouble.of(CostModel.rooflineSamplesPerSec(c, model)))
                .orElse(java.util.OptionalDouble.empty());
    }

    private static Result infeasible(String reason, List<String> datacenters) {
        return new Result(false, reason, List.of(), datacenters, null, 0.0, 0.0, 0.0);
    }

    /** True for equal split. */
    private static boolean mode(String allocation) {
        if (allocation == null || allocation.equals(JobSpec.BALANCED)) {
            return false;
        }
        if (allocation.equals(JobSpec.EQUAL)) {
            return true;
        }
        throw new IllegalArgumentException("allocation must be '" + JobSpec.BALANCED + "' or '" + JobSpec.EQUAL
                + "', got '" + allocation + "'");
    }

    private static List<DeviceInput> sortedAndChecked(List<DeviceInput> devices) {
        Set<String> ids = new HashSet<>();
        for (DeviceInput d : devices) {
            Objects.requireNonNull(d, "device");
            if (d.deviceId() == null || d.deviceId().isBlank()) {
                throw new IllegalArgumentException("a device has no deviceId: " + d);
            }
            if (d.datacenter() == null || d.datacenter().isBlank()) {
                throw new IllegalArgumentException("device " + d.deviceId() + " has no datacenter");
            }
            if (!ids.add(d.deviceId())) {
                throw new IllegalArgumentException("device " + d.deviceId() + " appears twice");
            }
        }
        return devices.stream()
                .sorted(Comparator.comparing(DeviceInput::datacenter).thenComparing(DeviceInput::deviceId))
                .toList();
    }

    private double speed(DeviceInput d, ModelProfile model) {
        Double measured = d.measuredSamplesPerSec();
        if (measured != null) {
            if (!(measured > 0) || measured.isInfinite()) {
                throw new IllegalArgumentException("device " + d.deviceId() + ": measured speed must be positive "
                        + "and finite, got " + measured);
            }
            return measured;
        }
        return CostModel.rooflineSamplesPerSec(chip(d), requireModel(model));
    }

    private int cap(DeviceInput d, ModelProfile model) {
        Integer given = d.maxMicroBatch();
        if (given != null) {
            if (given < 0) {
                throw new IllegalArgumentException("device " + d.deviceId() + ": maxMicroBatch must be ≥ 0, got "
                        + given);
            }
            return given;
        }
        return CostModel.memoryCap(chip(d), requireModel(model));
    }

    private ChipSpec chip(DeviceInput d) {
        try {
            return catalogue.get(d.chip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("device " + d.deviceId() + ": " + e.getMessage(), e);
        }
    }

    private static ModelProfile requireModel(ModelProfile model) {
        return Objects.requireNonNull(model, "model is needed when a device has no measured speed or cap");
    }
}
