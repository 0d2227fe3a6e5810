package io.crosstrain.scheduler.api;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;

import io.crosstrain.contracts.Placement;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * Body of {@code POST /api/v1/plans/simulate}: a cluster described inline (nothing is read from the inventory) and
 * a job to plan on it. Every number is boxed so that a missing one is reported by name rather than read as 0.
 */
@Schema(description = "A cluster described inline (nothing is read from the inventory) and a job to plan on it")
record SimulationRequest(
        @Schema(description = "The datacenters; links and devices name them by id")
        List<DatacenterBody> datacenters,
        @Schema(description = "Undirected WAN links between datacenters; absent = none (the WAN is then unknown and "
                + "assumed free, and auto picks DiLoCo across datacenters)")
        List<LinkBody> links,
        @Schema(description = "The devices, each in one datacenter")
        List<DeviceBody> devices,
        JobBody job) {

    /** @param intraGbps all-reduce bandwidth inside the datacenter; absent = the planner's 100 Gbit/s */
    @Schema(description = "A datacenter")
    record DatacenterBody(
            String id,
            @Schema(description = "Bandwidth inside the datacenter, Gbit/s, for the all-reduce and the hand-over "
                    + "between pipeline stages; absent = 100")
            Double intraGbps) {
    }

    /** An undirected WAN link; {@code latencyMs} absent = 0. */
    @Schema(description = "An undirected WAN link")
    record LinkBody(String from, String to,
                    @Schema(description = "Gbit/s") Double gbps,
                    @Schema(description = "One-way latency, ms; absent = 0") Double latencyMs) {
    }

    /**
     * @param samplesPerSec measured speed for this model; absent = roofline prior of the chip
     * @param maxMicroBatch largest micro-batch; absent = memory cap of the chip
     * @param memoryGb      for placement; absent = the chip's
     */
    @Schema(description = "A device")
    record DeviceBody(
            String id,
            String datacenter,
            String nodeId,
            @Schema(description = "Catalogue name of the chip, e.g. A100-80G, H20, Ascend-910B")
            String chip,
            @Schema(description = "Measured whole-model speed for this model; absent = the chip's roofline prior")
            Double samplesPerSec,
            @Schema(description = "Largest micro-batch as a whole replica; absent = the chip's memory cap")
            Integer maxMicroBatch,
            @Schema(description = "Memory for placement's minMemoryGb; absent = the chip's")
            Double memoryGb,
            Map<String, String> labels) {
    }

    /**
     * Exactly one of {@code model} (a preset name or a shape) and {@code parametersM} (with {@code tokensPerSample}
     * and optionally {@code layers}) describes the model.
     *
     * @param strategy        auto (default), sync-dp or diloco
     * @param h               fixed DiLoCo inner steps per WAN round; absent = chosen from {@code targetCommRatio}
     * @param codec           DiLoCo payload: int8 (default, as a submitted job's), fp32, bf16, fp16 or int4
     * @param targetCommRatio WAN time over compute time to aim for; absent = 0.1
     * @param memoryScale     every device holds its chip's memory × this; absent = 1
     * @param stages          pipeline stages per replica in every datacenter; absent = the planner chooses
     */
    @Schema(description = "The job. The model is given one way: model (a preset name or a shape), or parametersM "
            + "with tokensPerSample and optionally layers")
    record JobBody(
            ModelChoice model,
            @Schema(description = "The model by size, in millions of parameters, instead of model; needs "
                    + "tokensPerSample", example = "13000")
            Double parametersM,
            @Schema(description = "Transformer blocks of the model given by parametersM; absent = assumed from the "
                    + "size (width about 128 per block)", minimum = "1", maximum = "1000", example = "40")
            Integer layers,
            @Schema(description = "Tokens per sample of the model given by parametersM", example = "4096")
            Integer tokensPerSample,
            Integer globalBatch,
            @Schema(description = "Whether a device may run its batch in several micro-batches; absent = false, as "
                    + "the scheduler plans")
            Boolean allowGradientAccumulation,
            @Schema(description = "auto (default), sync-dp or diloco", allowableValues = {"auto", "sync-dp",
                    "diloco"})
            String strategy,
            @Schema(description = "Fixed DiLoCo inner steps per WAN round; absent = chosen from targetCommRatio")
            Integer h,
            @Schema(description = "DiLoCo's WAN payload per parameter; absent = int8, as a submitted job's",
                    allowableValues = {"fp32", "bf16", "fp16", "int8", "int4"})
            String codec,
            @Schema(description = "WAN time over compute time to aim for; absent = 0.1")
            Double targetCommRatio,
            Placement placement,
            @Schema(description = "Every device holds its chip's memory × memoryScale, so a small model can stand in "
                    + "for a large one; absent = 1", exclusiveMinimumValue = 0, maximum = "1000", example = "1")
            Double memoryScale,
            @Schema(description = "Pipeline stages per replica in every datacenter (1 = whole replicas only); "
                    + "absent = the planner chooses per datacenter", minimum = "1", example = "4")
            Integer stages) {
    }

    /**
     * The model by name ({@code preset}) or by shape: {@code "model": "13b"} or {@code "model": {"layers": 40, ...}}.
     * Exactly one of the two is set.
     */
    @JsonDeserialize(using = ModelChoice.Reader.class)
    @Schema(name = "SimulationModel", description = "The model: the name of a preset (" + ModelPresets.NAMES
            + "; the small ones with the bundled corpus's vocabulary) or its shape",
            oneOf = {String.class, ModelBody.class})
    record ModelChoice(@Schema(hidden = true) String preset, @Schema(hidden = true) ModelBody shape) {

        static ModelChoice preset(String name) {
            return new ModelChoice(name, null);
        }

        static ModelChoice of(ModelBody shape) {
            return new ModelChoice(null, shape);
        }

        /** A string is a preset name, an object a shape; anything else is of the wrong type. */
        static final class Reader extends ValueDeserializer<ModelChoice> {
            @Override
            public ModelChoice deserialize(JsonParser p, DeserializationContext ctxt) {
                if (p.currentToken() == JsonToken.VALUE_STRING) {
                    return preset(p.getString());
                }
                if (p.currentToken() == JsonToken.START_OBJECT) {
                    return of(ctxt.readValue(p, ModelBody.class));
                }
                return (ModelChoice) ctxt.handleUnexpectedToken(ModelChoice.class, p);
            }
        }
    }

    @Schema(description = "A decoder-only transformer by shape")
    record ModelBody(
            @Schema(description = "Transformer blocks", example = "40") Integer layers,
            @Schema(description = "Width", example = "5120") Integer dModel,
            @Schema(description = "Attention heads", example = "40") Integer heads,
            @Schema(description = "Tokens per sample", example = "4096") Integer seqLen,
            @Schema(description = "Vocabulary size", example = "32000") Integer vocabSize) {
    }
}
