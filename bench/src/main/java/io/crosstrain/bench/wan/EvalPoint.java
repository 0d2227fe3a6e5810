package io.crosstrain.bench.wan;

/**
 * Validation loss of the global weights at one point of a run. {@code timeUnits} is emulated time in units of one
 * inner compute step (t_c): compute steps plus WAN exchanges at their emulated cost.
 */
public record EvalPoint(long innerSteps, long samples, long exchanges, double timeUnits, double loss) {
}
