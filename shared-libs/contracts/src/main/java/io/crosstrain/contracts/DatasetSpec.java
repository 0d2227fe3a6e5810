package io.crosstrain.contracts;

/**
 * Where training text comes from. {@code kind} is {@code bundled} (the corpus shipped with CrossTrain, named by
 * {@code name}) or {@code path} (a UTF-8 text file readable by every worker).
 */
public record DatasetSpec(String kind, String name, String path) {
    public static final String BUNDLED = "bundled";
    public static final String PATH = "path";
    public static final String DEFAULT_CORPUS = "grammar-en";

    public static DatasetSpec bundled() {
        return new DatasetSpec(BUNDLED, DEFAULT_CORPUS, null);
    }
}
