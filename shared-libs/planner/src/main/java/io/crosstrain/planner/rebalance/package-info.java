/**
 * Closed-loop rebalancing (ARCHITECTURE.md §5, "Closed loop"): {@link io.crosstrain.planner.rebalance.Rebalancer}
 * compares the speeds devices actually reach with the speeds the current plan assumed and, once a device has drifted
 * for several steps, returns a {@link io.crosstrain.planner.rebalance.RebalanceDecision} with new speed estimates
 * for the next plan. Plain Java, no framework; the caller decides where the new plan comes from and when it applies.
 */
package io.crosstrain.planner.rebalance;
