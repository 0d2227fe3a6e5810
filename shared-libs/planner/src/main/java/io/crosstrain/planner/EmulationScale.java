package io.crosstrain.planner;

import java.util.Objects;

/**
 * The cluster-wide time scale {@code k} of chip emulation (ARCHITECTURE.md §6).
 *
 * <p>An emulated device of chip speed {@code s_i} runs its real forward/backward pass on the host CPU, which costs
 * {@code b_i · cpu_i} CPU-seconds, and then waits until {@code b_i / (s_i · k)} seconds have passed. Dividing every
 * chip's time by the same {@code k} keeps the ratios between devices (and so η and the allocation) exactly those of
 * the real chips; only the absolute speed changes. The emulation is faithful as long as the CPU work finishes
 * inside the paced time, so {@code k} is bounded by two budgets, each leaving a fraction {@code cpuBudget} of the CPU
 * as head-room (scheduling noise, the relays, Kafka):
 * <ol>
 *   <li>the host: one synchronous step of wall time {@code T = max_i b_i / (s_i · k)} offers
 *       {@code hostCores · T} CPU-seconds, of which the devices together may use at most {@code cpuBudget}:
 *       {@code Σ_i b_i · cpu_i ≤ cpuBudget · hostCores · T}, i.e.
 *       {@code k ≤ cpuBudget · hostCores · max_i(b_i/s_i) / Σ_i b_i · cpu_i};</li>
 *   <li>each device (workers compute on one thread): its own CPU time may fill at most {@code cpuBudget} of its own
 *       paced time, {@code b_i · cpu_i ≤ cpuBudget · b_i / (s_i · k)}, i.e. {@code k ≤ cpuBudget / (s_i · cpu_i)} —
 *       otherwise a fast chip would be slowed down to the CPU's speed and measured speeds would drift from the
 *       plan. This only binds when the host has more cores than the devices can share; with more devices than
 *       cores (the usual case) the host budget is the tighter one.</li>
 * </ol>
 * The returned {@code k} is the largest value meeting both, i.e. the fastest emulation the host can sustain; with
 * more devices than cores it meets the host budget with equality.
 */
public final class EmulationScale {

    private EmulationScale() {
    }

    /**
     * @param batch              samples per step per device
     * @param chipSpeeds         the emulated chips' speeds for this model, samples/s
     * @param cpuSecondsPerSample measured CPU cost of one sample's forward/backward on this host, per device
     * @param hostCores          CPU cores of the host running the workers
     * @param cpuBudget          fraction of the CPU the emulated work may use, e.g. 0.5
     * @return the time scale {@code k > 0}
     * @throws IllegalArgumentException on malformed input, or when no device does any CPU work (then any k would
     *                                  do and there is nothing to calibrate against)
     */
    public static double timeScale(int[] batch, double[] chipSpeeds, double[] cpuSecondsPerSample, int hostCores,
                                   double cpuBudget) {
        Objects.requireNonNull(batch, "batch");
        Objects.requireNonNull(chipSpeeds, "chipSpeeds");
        Objects.requireNonNull(cpuSecondsPerSample, "cpuSecondsPerSample");
        if (batch.length != chipSpeeds.length || batch.length != cpuSecondsPerSample.length) {
            throw new IllegalArgumentException("batch, chipSpeeds and cpuSecondsPerSample differ in length: "
                    + batch.length + ", " + chipSpeeds.length + ", " + cpuSecondsPerSample.length);
        }
        if (hostCores < 1) {
            throw new IllegalArgumentException("hostCores must be at least 1, got " + hostCores);
        }
        if (!(cpuBudget > 0) || Double.isInfinite(cpuBudget)) {
            throw new IllegalArgumentException("cpuBudget must be positive and finite, got " + cpuBudget);
        }
        double chipStep = 0;     // max_i b_i / s_i: the real chips' step time
        double cpuWork = 0;      // Σ b_i · cpu_i: CPU-seconds per step
        double perDevice = Double.POSITIVE_INFINITY;
        for (int i = 0; i < batch.length; i++) {
            if (batch[i] < 0) {
                throw new IllegalArgumentException("device " + i + " has negative batch " + batch[i]);
            }
            if (!(chipSpeeds[i] > 0) || Double.isInfinite(chipSpeeds[i])) {
                throw new IllegalArgumentException("device " + i + " has speed " + chipSpeeds[i]
                        + "; speeds must be positive and finite");
            }
            if (!(cpuSecondsPerSample[i] >= 0) || Double.isInfinite(cpuSecondsPerSample[i])) {
                throw new IllegalArgumentException("device " + i + " has CPU cost " + cpuSecondsPerSample[i]
                        + " s/sample; it must be non-negative and finite");
            }
            if (batch[i] == 0) {
                continue;
            }
            chipStep = Math.max(chipStep, batch[i] / chipSpeeds[i]);
            cpuWork += batch[i] * cpuSecondsPerSample[i];
            if (cpuSecondsPerSample[i] > 0) {
                perDevice = Math.min(perDevice, cpuBudget / (chipSpeeds[i] * cpuSecondsPerSample[i]));
            }
        }
        if (!(cpuWork > 0)) {
            throw new IllegalArgumentException("no device with a batch has a measured CPU cost per sample, so the "
                    + "time scale cannot be calibrated; measure cpuSecondsPerSample or give the time scale");
        }
        double host = cpuBudget * hostCores * chipStep / cpuWork;
        return Math.min(host, perDevice);
    }

    /** Wall time one emulated step of {@code batch} samples must take: {@code batch / (chipSpeed · k)}. */
    public static double pacedSeconds(int batch, double chipSpeed, double k) {
        if (!(chipSpeed > 0) || !(k > 0)) {
            throw new IllegalArgumentException("chipSpeed and k must be positive, got " + chipSpeed + " and " + k);
        }
        return batch / (chipSpeed * k);
    }

    /**
     * The time scale {@code k} lowered, if needed, so the balanced step {@code max_i b_i / (s_i · k)} lasts at least
     * {@code minStepSeconds}; a smaller k only makes the emulated chips slower, which never overloads the CPU.
     */
    public static double atMostFor(double k, int[] batch, double[] chipSpeeds, double minStepSeconds) {
        double slowest = 0;
        for (int i = 0; i < batch.length; i++) {
            slowest = Math.max(slowest, batch[i] / chipSpeeds[i]);
        }
        if (minStepSeconds <= 0 || slowest <= 0) {
            return k;
        }
        return Math.min(k, slowest / minStepSeconds);
    }
}
