package io.crosstrain.contracts;

import java.util.Set;

/**
 * The inner optimizer every replica runs between synchronisations. Absent fields take their defaults, so specs and
 * plans written before this record existed read as AdamW with the defaults they always had.
 *
 * @param name        {@code adamw} (Adam with decoupled weight decay) or {@code adam} (weight decay 0)
 * @param weightDecay AdamW's decoupled weight decay
 * @param warmupSteps optimizer steps of linear learning-rate ramp-up (0 = none)
 */
public record OptimizerSpec(String name, Double weightDecay, Integer warmupSteps) {

    public static final String ADAMW = "adamw";
    public static final String ADAM = "adam";
    public static final Set<String> NAMES = Set.of(ADAMW, ADAM);
    public static final double DEFAULT_WEIGHT_DECAY = 0.01;
    public static final int DEFAULT_WARMUP_STEPS = 10;

    public static OptimizerSpec defaults() {
        return new OptimizerSpec(ADAMW, DEFAULT_WEIGHT_DECAY, DEFAULT_WARMUP_STEPS);
    }

    /** Every default filled in; Adam is AdamW without weight decay. */
    public OptimizerSpec resolved() {
        String n = name == null ? ADAMW : name;
        double wd = ADAM.equals(n) ? 0.0 : weightDecay == null ? DEFAULT_WEIGHT_DECAY : weightDecay;
        return new OptimizerSpec(n, wd, warmupSteps == null ? DEFAULT_WARMUP_STEPS : warmupSteps);
    }
}
