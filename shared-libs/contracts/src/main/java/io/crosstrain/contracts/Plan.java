package io.crosstrain.contracts;

import java.util.List;
import java.util.UUID;

/**
 * Published on {@link Topics#PLANS} (key = jobId). A re-plan bumps {@code planVersion}.
 *
 * @param mode       {@code emulated} or {@code measured-on-device}
 * @param timeScale  emulation time scale k (ARCHITECTURE.md §6); null on real devices
 * @param datacenters the datacenters taking part, sorted; relays sum partials in this order
 */
public record Plan(
        UUID jobId,
        int planVersion,
        String strategy,
        String allocation,
        String mode,
        Double timeScale,
        ModelSpec model,
        DatasetSpec dataset,
        int steps,
        int globalBatch,
        double learningRate,
        long seed,
        int hashEvery,
        List<String> datacenters,
        List<PlanDevice> devices,
        Prediction predicted) {

    public static final String EMULATED = "emulated";
    public static final String MEASURED = "measured-on-device";

    /** What the planner expects, to compare with what is measured. */
    public record Prediction(double stepSeconds, double eta, double equalSplitEta, long wanBytesPerStep) {
    }

    public List<PlanDevice> devicesIn(String datacenter) {
        return devices.stream().filter(d -> d.datacenter().equals(datacenter)).toList();
    }
}
