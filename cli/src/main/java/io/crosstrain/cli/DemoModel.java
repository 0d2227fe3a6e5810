package io.crosstrain.cli;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The models a demo can train, with the cluster and batch each is shown on.
 *
 * <p>{@code large} is a model no single emulated chip of the demo holds at its batch: every device offers its chip's
 * memory times {@code memoryScale}, so the planner must split replicas into pipeline stages wherever a whole replica
 * does not fit (A100-80G and Ascend 910B hold 80 and 64 GB, an H20 96). With three 910Bs in {@code gy} the planner
 * picks three different layouts: two 2-stage replicas on the A100s, whole replicas on the H20s, one 3-stage replica
 * on the 910Bs (docs/architecture.md §11).
 *
 * @param memoryScale null = every chip's full memory (nothing needs splitting)
 */
record DemoModel(String name, int layers, int dModel, int heads, int seqLen, Double memoryScale, int globalBatch,
                 double learningRate, DemoCluster cluster) {

    static final DemoModel SMALL = new DemoModel("small", 2, 96, 4, 64, null, 528, 0.006, DemoCluster.standard());
    static final DemoModel LARGE = new DemoModel("large", 6, 128, 4, 128, 6.2e-4, 144, 0.003, DemoCluster.large());

    static DemoModel named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "small" -> SMALL;
            case "large" -> LARGE;
            default -> throw new IllegalArgumentException("--model must be small or large, not '" + name + "'");
        };
    }

    /** Pipelined layouts are what this model shows; an equal-split baseline of whole replicas does not apply. */
    boolean pipelined() {
        return memoryScale != null;
    }

    /** The job spec's {@code model} object (vocabulary from the corpus). */
    Map<String, Object> spec() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("layers", layers);
        m.put("dModel", dModel);
        m.put("heads", heads);
        m.put("seqLen", seqLen);
        m.put("vocabSize", 0);
        return m;
    }

    String describe() {
        return String.format(Locale.ROOT, "%s model (%d blocks, d=%d, %d tokens%s)", name, layers, dModel, seqLen,
                memoryScale == null ? "" : String.format(Locale.ROOT, ", chips hold %.2g of their memory",
                        memoryScale));
    }
}
