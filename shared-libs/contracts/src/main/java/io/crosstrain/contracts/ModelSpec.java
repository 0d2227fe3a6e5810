package io.crosstrain.contracts;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * A decoder-only character transformer. {@code vocabSize} is fixed by the tokenizer of the dataset
 * (0 = derive it from the corpus). In JSON either the five numbers or the name of a built-in size
 * ({@link #PRESETS}: {@code "model": "small"}).
 */
public record ModelSpec(int layers, int dModel, int heads, int seqLen, int vocabSize) {

    /** The built-in sizes, smallest first; parameter counts for a 66-character vocabulary are in {@link #sizes}. */
    public static final Map<String, ModelSpec> PRESETS = presets();

    private static Map<String, ModelSpec> presets() {
        Map<String, ModelSpec> p = new LinkedHashMap<>();
        p.put("tiny", new ModelSpec(2, 64, 4, 32, 0));
        p.put("small", new ModelSpec(2, 96, 4, 64, 0));
        p.put("medium", new ModelSpec(4, 128, 4, 128, 0));
        p.put("large", new ModelSpec(6, 256, 8, 128, 0));
        return Collections.unmodifiableMap(p);
    }

    /** {@code "model": "<preset>"} in a job spec. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static ModelSpec preset(String name) {
        ModelSpec m = name == null ? null : PRESETS.get(name.strip().toLowerCase(java.util.Locale.ROOT));
        if (m == null) {
            throw new IllegalArgumentException("unknown model size '" + name + "'; built in: " + PRESETS.keySet());
        }
        return m;
    }

    /** Each built-in size with its parameter count at {@code vocab} characters. */
    public static List<Map<String, Object>> sizes(int vocab) {
        List<Map<String, Object>> out = new ArrayList<>();
        PRESETS.forEach((name, m) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", name);
            row.put("layers", m.layers());
            row.put("dModel", m.dModel());
            row.put("heads", m.heads());
            row.put("seqLen", m.seqLen());
            row.put("parameters", m.parameters(vocab));
            out.add(row);
        });
        return out;
    }

    public static ModelSpec demo() {
        return PRESETS.get("small");
    }

    /** Trainable parameters: embeddings, per layer attention (4·d²+4d) + MLP (8·d²+5d) + 2 layer norms, final norm, head. */
    public long parameters(int vocab) {
        long d = dModel;
        long perLayer = 4 * d * d + 4 * d + 8 * d * d + 5 * d + 4 * d;
        return vocab * d + (long) seqLen * d + layers * perLayer + 2 * d + d * vocab + vocab;
    }

    /** Training FLOPs per sample (one sequence): 6 × parameters × tokens, plus attention scores. */
    public double flopsPerSample(int vocab) {
        double attention = 12.0 * layers * (double) seqLen * seqLen * dModel;
        return 6.0 * parameters(vocab) * seqLen + attention;
    }

    /** Stable name of this architecture with a given vocabulary, e.g. {@code tx-L2-d96-h4-s64-v66}: keys throughput profiles. */
    public String key(int vocab) {
        return "tx-L" + layers + "-d" + dModel + "-h" + heads + "-s" + seqLen + "-v" + (vocab > 0 ? vocab : vocabSize);
    }
}
