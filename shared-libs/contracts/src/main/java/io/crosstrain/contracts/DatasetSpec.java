package io.crosstrain.contracts;

/**
 * Where training text comes from. {@code kind} is {@code bundled} (the corpus shipped with CrossTrain, named by
 * {@code name}) or {@code path} (a UTF-8 text file readable by every worker).
 */
public record DatasetSpec(String kind, String name, String path) {
    public static final String BUNDLED = "bundled";
    public static final String PATH = "path";
    public static final String DEFAULT_CORPUS = "grammar-en";

    /**
     * Vocabulary sizes of the bundled corpora (distinct characters), so a plan can place parameter ranges before any
     * worker has read the text; the training library's test holds them equal to the corpora themselves.
     */
    public static final java.util.Map<String, Integer> BUNDLED_VOCABULARY = java.util.Map.of(DEFAULT_CORPUS, 66);

    /** The vocabulary size this dataset is known to have without reading it, or 0. */
    public int knownVocabulary() {
        return BUNDLED.equals(kind) && name != null ? BUNDLED_VOCABULARY.getOrDefault(name, 0) : 0;
    }

    public static DatasetSpec bundled() {
        return new DatasetSpec(BUNDLED, DEFAULT_CORPUS, null);
    }
}
