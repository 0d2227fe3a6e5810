package io.crosstrain.scheduler.api;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;

/**
 * The model presets {@code plans/simulate} accepts by name ({@code "model": "13b"}): LLaMA-class shapes with a
 * 32,000-token vocabulary, the sizes a cross-datacenter run is planned for, plus the small built-in sizes of
 * {@link ModelSpec#PRESETS} that the demo trains. Those leave the vocabulary to the corpus; here they take the bundled
 * corpus's, as the scheduler does for a job on it. The large ones stay here rather than in {@code ModelSpec.PRESETS}:
 * a job spec cannot train them (job-api allows at most 8 layers), only the planner can lay them out.
 */
final class ModelPresets {

    /** Every name, large first; kept equal to {@link #ALL}'s keys by a test (annotations need a constant). */
    static final String NAMES = "7b, 13b, 34b, 70b, tiny, small, medium, large";

    /** Vocabulary of the large presets (the LLaMA tokenizer's). */
    static final int LARGE_VOCAB = 32_000;

    /** A preset: its shape and the vocabulary it is planned with. */
    record Preset(String name, ModelSpec spec, int vocab) {
    }

    static final Map<String, Preset> ALL = all();

    private ModelPresets() {
    }

    private static Map<String, Preset> all() {
        Map<String, Preset> p = new LinkedHashMap<>();
        large(p, "7b", 32, 4096, 32);
        large(p, "13b", 40, 5120, 40);
        large(p, "34b", 48, 8192, 64);
        large(p, "70b", 80, 8192, 64);
        int bundled = DatasetSpec.bundled().knownVocabulary();
        ModelSpec.PRESETS.forEach((name, spec) -> p.put(name, new Preset(name, spec, bundled)));
        return Collections.unmodifiableMap(p);
    }

    private static void large(Map<String, Preset> p, String name, int layers, int dModel, int heads) {
        p.put(name, new Preset(name, new ModelSpec(layers, dModel, heads, 4096, LARGE_VOCAB), LARGE_VOCAB));
    }

    /** The preset of that name, case and surrounding blanks ignored. */
    static Optional<Preset> find(String name) {
        return name == null ? Optional.empty()
                : Optional.ofNullable(ALL.get(name.strip().toLowerCase(Locale.ROOT)));
    }
}
