/**
 * The planner of ARCHITECTURE.md §5 and the emulation time scale of §6, as plain Java with no framework.
 *
 * <ul>
 *   <li>{@link io.crosstrain.planner.ChipCatalogue}: public chip figures ({@link io.crosstrain.planner.ChipSpec});</li>
 *   <li>{@link io.crosstrain.planner.ModelProfile} and {@link io.crosstrain.planner.CostModel}: roofline speed prior
 *       and memory cap of a model on a chip;</li>
 *   <li>{@link io.crosstrain.planner.BatchAllocator}: the exact integer min-max batch split and the equal-split
 *       baseline, plus the efficiency {@code η};</li>
 *   <li>{@link io.crosstrain.planner.EmulationScale}: the cluster-wide time scale {@code k} for CPU emulation;</li>
 *   <li>{@link io.crosstrain.planner.Planner}: the facade that ties them together for a list of devices.</li>
 * </ul>
 */
package io.crosstrain.planner;
