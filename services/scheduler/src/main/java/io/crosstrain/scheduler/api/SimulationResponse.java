package io.crosstrain.scheduler.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.crosstrain.planner.ClusterPlanner;

/**
 * Answer of {@code POST /api/v1/plans/simulate}. Every figure is a prediction of the cost model, not a measurement.
 *
 * @param reason      why the job cannot be planned; absent when feasible
 * @param predicted   absent when infeasible
 * @param assumptions what the figures rest on, in words
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record SimulationResponse(boolean feasible, String reason, List<DeviceView> devices,
                          List<DatacenterView> datacenters, Predicted predicted, List<String> assumptions) {

    /** @param speedSource {@code measured} (given in the request) or {@code roofline} (the cost model's prior) */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DeviceView(String id, String datacenter, String nodeId, String chip, int batch, int microBatches,
                      double samplesPerSec, String speedSource, int maxMicroBatch) {
    }

    /** One datacenter group: its share of the batch, solo speed, compute and all-reduce time per step. */
    record DatacenterView(String id, int devices, int batch, double samplesPerSec, double computeSeconds,
                          double intraSyncSeconds) {
    }

    /**
     * @param wanBytesPerStep    bytes each datacenter sends over the WAN, amortised over h
     * @param wanSecondsPerRound one WAN exchange (every h steps)
     */
    record Predicted(double stepSeconds, double eta, double equalSplitEta, double wanBytesPerStep, String strategy,
                     int h, double computeSeconds, double intraSyncSeconds, double wanSecondsPerRound,
                     double wanBytesPerRound, double samplesPerSec) {
    }

    static SimulationResponse of(ClusterPlanner.Result r) {
        if (!r.feasible()) {
            return new SimulationResponse(false, r.reason(), List.of(), List.of(), null, r.assumptions());
        }
        ClusterPlanner.Prediction p = r.predicted();
        return new SimulationResponse(true, null,
                r.devices().stream().map(d -> new DeviceView(d.id(), d.datacenter(), d.nodeId(), d.chip(), d.batch(),
                        d.microBatches(), d.samplesPerSec(), d.measured() ? "measured" : "roofline",
                        d.maxMicroBatch())).toList(),
                r.datacenters().stream().map(d -> new DatacenterView(d.id(), d.devices(), d.batch(),
                        d.samplesPerSec(), d.computeSeconds(), d.intraSyncSeconds())).toList(),
                new Predicted(p.stepSeconds(), p.eta(), p.equalSplitEta(), p.wanBytesPerStep(), p.strategy(), p.h(),
                        p.computeSeconds(), p.intraSyncSeconds(), p.wanSecondsPerRound(), p.wanBytesPerRound(),
                        p.samplesPerSec()),
                r.assumptions());
    }
}
