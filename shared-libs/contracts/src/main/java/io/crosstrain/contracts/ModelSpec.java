package io.crosstrain.contracts;

/**
 * A decoder-only character transformer. {@code vocabSize} is fixed by the tokenizer of the dataset
 * (0 = derive it from the corpus).
 */
public record ModelSpec(int layers, int dModel, int heads, int seqLen, int vocabSize) {

    public static ModelSpec demo() {
        return new ModelSpec(2, 96, 4, 64, 0);
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
