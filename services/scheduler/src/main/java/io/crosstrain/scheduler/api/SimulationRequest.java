package io.crosstrain.scheduler.api;

import java.util.List;
import java.util.Map;

import io.crosstrain.contracts.Placement;

/**
 * Body of {@code POST /api/v1/plans/simulate}: a cluster described inline (nothing is read from the inventory) and
 * a job to plan on it. Every number is boxed so that a missing one is reported by name rather than read as 0.
 */
record SimulationRequest(List<DatacenterBody> datacenters, List<LinkBody> links, List<DeviceBody> devices,
                         JobBody job) {

    /** @param intraGbps all-reduce bandwidth inside the datacenter; absent = the planner's 100 Gbit/s */
    record DatacenterBody(String id, Double intraGbps) {
    }

    /** An undirected WAN link; {@code latencyMs} absent = 0. */
    record LinkBody(String from, String to, Double gbps, Double latencyMs) {
    }

    /**
     * @param samplesPerSec measured speed for this model; absent = roofline prior of the chip
     * @param maxMicroBatch largest micro-batch; absent = memory cap of the chip
     * @param memoryGb      for placement; absent = the chip's
     */
    record DeviceBody(String id, String datacenter, String nodeId, String chip, Double samplesPerSec,
                      Integer maxMicroBatch, Double memoryGb, Map<String, String> labels) {
    }

    /**
     * Exactly one of {@code model} and {@code parametersM} (with {@code tokensPerSample}) describes the model.
     *
     * @param strategy        auto (default), sync-dp or diloco
     * @param h               fixed DiLoCo inner steps per WAN round; absent = chosen from {@code targetCommRatio}
     * @param codec           DiLoCo payload: fp32 (default), bf16, int8 or int4
     * @param targetCommRatio WAN time over compute time to aim for; absent = 0.1
     */
    record JobBody(ModelBody model, Double parametersM, Integer tokensPerSample, Integer globalBatch,
                   Boolean allowGradientAccumulation, String strategy, Integer h, String codec,
                   Double targetCommRatio, Placement placement) {
    }

    record ModelBody(Integer layers, Integer dModel, Integer heads, Integer seqLen, Integer vocabSize) {
    }
}
