package io.crosstrain.planner.rebalance;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link Rebalancer} returns when the current plan no longer matches the devices.
 *
 * @param planVersion the plan version whose speeds turned out wrong
 * @param step        the step whose observation made the detector fire
 * @param speeds      new speed estimate of every device of the plan (samples/s, chip terms), in the plan's order:
 *                    the measured estimate for a drifting device, the planned speed for the others
 * @param drifts      the devices whose speed estimate changed, the one that fired first
 * @param reason      human-readable, e.g. "device gy-0 measured 0.60× its planned 40.1 samples/s for 3 steps"
 */
public record RebalanceDecision(long planVersion, long step, Map<String, Double> speeds, List<Drift> drifts,
                                String reason) {

    /**
     * One drifting device.
     *
     * @param deviceId the device
     * @param planned  the speed the plan assumed
     * @param estimate the median of its recent observations (see {@link Rebalancer})
     * @param streak   how many steps in a row it had deviated, in one direction, when the detector fired
     * @param samples  how many observations the estimate is the median of
     */
    public record Drift(String deviceId, double planned, double estimate, int streak, int samples) {

        /** {@code estimate / planned}: 0.6 for a device running at 60 % of its planned speed. */
        public double ratio() {
            return estimate / planned;
        }
    }

    public RebalanceDecision {
        Objects.requireNonNull(speeds, "speeds");
        speeds = Collections.unmodifiableMap(new LinkedHashMap<>(speeds));
        drifts = List.copyOf(Objects.requireNonNull(drifts, "drifts"));
        Objects.requireNonNull(reason, "reason");
    }
}
