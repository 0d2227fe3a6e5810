package io.crosstrain.planner;

import io.crosstrain.contracts.ModelSpec;
import java.util.Objects;

/**
 * What the cost model needs to know about a model, per training sample (one sequence).
 *
 * @param parameters               trainable parameters
 * @param flopsPerSample           training FLOPs per sample (forward + backward)
 * @param bytesPerSample           estimated device-memory (HBM) traffic per sample, bytes
 * @param fixedMemoryBytes         memory needed regardless of the micro-batch: weights, gradients, optimizer state
 * @param activationBytesPerSample activation memory kept for the backward pass, per sample in the micro-batch
 */
public record ModelProfile(long parameters, double flopsPerSample, double bytesPerSample, double fixedMemoryBytes,
                           double activationBytesPerSample) {

    /**
     * Mixed-precision training with Adam keeps 16 bytes per parameter: 16-bit weights (2) and gradients (2) plus an
     * fp32 master copy (4) and the two fp32 Adam moments (4 + 4).
     */
    public static final double BYTES_PER_PARAMETER = 16.0;

    /**
     * Stored activations per layer and token, in units of bytes × dModel: 34 (Korthikanti et al., "Reducing
     * Activation Recomputation in Large Transformer Models", 2022, §4: 16-bit activations of attention, MLP and the
     * two layer norms plus 1-byte dropout masks, without recomputation).
     */
    public static final double ACTIVATION_BYTES_PER_TOKEN_PER_DMODEL = 34.0;

    /** Same source: the attention scores, softmax and its dropout add 5·heads·seqLen bytes per layer and token. */
    public static final double ATTENTION_BYTES_PER_HEAD_PER_TOKEN_PAIR = 5.0;

    /** Logits in 16 bit (2 bytes) plus the fp32 softmax of the loss (4 bytes) per token and vocabulary entry. */
    public static final double LOGIT_BYTES = 6.0;

    /**
     * Every stored activation byte is written once in the forward pass and read once in the backward pass, so the
     * HBM traffic per sample is about twice the activation footprint. This ignores traffic that fused kernels keep
     * on chip and the weight/optimizer traffic, which is paid once per step and amortised over the micro-batch; it is
     * only the roofline prior and measured speeds replace it.
     */
    public static final double TRAFFIC_PER_ACTIVATION_BYTE = 2.0;

    public ModelProfile {
        if (parameters <= 0) {
            throw new IllegalArgumentException("parameters must be positive, got " + parameters);
        }
        if (!(flopsPerSample > 0) || Double.isInfinite(flopsPerSample)) {
            throw new IllegalArgumentException("flopsPerSample must be positive and finite, got " + flopsPerSample);
        }
        requireNonNegative("bytesPerSample", bytesPerSample);
        requireNonNegative("fixedMemoryBytes", fixedMemoryBytes);
        requireNonNegative("activationBytesPerSample", activationBytesPerSample);
    }

    /**
     * Profile of a {@link ModelSpec} transformer.
     *
     * <ul>
     *   <li>parameters and FLOPs: {@link ModelSpec#parameters(int)} and {@link ModelSpec#flopsPerSample(int)};</li>
     *   <li>activations per sample: {@code layers·seqLen·(34·dModel + 5·heads·seqLen) + seqLen·(4·dModel + 6·vocab)}
     *       bytes, i.e. the per-layer estimate of Korthikanti et al. plus the embedding and final-norm outputs
     *       (2 tensors × 2 bytes × dModel) and the logits with their fp32 softmax;</li>
     *   <li>HBM traffic per sample: {@value #TRAFFIC_PER_ACTIVATION_BYTE} × activations (written, then read back);
     *       for the demo model that is ≈ 1.2 MB against ≈ 1.0e8 FLOPs, ~81 FLOP/byte;</li>
     *   <li>fixed memory: {@value #BYTES_PER_PARAMETER} bytes per parameter.</li>
     * </ul>
     *
     * @param vocab vocabulary size; when ≤ 0 the spec's own {@code vocabSize} is used
     * @throws IllegalArgumentException when no positive vocabulary size is known or the spec has a non-positive size
     */
    public static ModelProfile of(ModelSpec spec, int vocab) {
        Objects.requireNonNull(spec, "spec");
        int v = vocab > 0 ? vocab : spec.vocabSize();
        if (v <= 0) {
            throw new IllegalArgumentException("vocabulary size unknown: argument " + vocab + " and spec.vocabSize "
                    + spec.vocabSize() + " are both ≤ 0");
        }
        if (spec.layers() <= 0 || spec.dModel() <= 0 || spec.heads() <= 0 || spec.seqLen() <= 0) {
            throw new IllegalArgumentException("model dimensions must be positive: " + spec);
        }
        double layers = spec.layers();
        double d = spec.dModel();
        double s = spec.seqLen();
        double perLayer = s * (ACTIVATION_BYTES_PER_TOKEN_PER_DMODEL * d
                + ATTENTION_BYTES_PER_HEAD_PER_TOKEN_PAIR * spec.heads() * s);
        double activations = layers * perLayer + s * (4.0 * d + LOGIT_BYTES * v);
        long parameters = spec.parameters(v);
        return new ModelProfile(parameters, spec.flopsPerSample(v), TRAFFIC_PER_ACTIVATION_BYTE * activations,
                BYTES_PER_PARAMETER * parameters, activations);
    }

    /** Width assumed per layer when only a parameter count is known: {@code dModel ≈ 128 · layers}. */
    public static final double ASSUMED_DMODEL_PER_LAYER = 128.0;

    /** Attention head width assumed when only a parameter count is known. */
    public static final double ASSUMED_HEAD_DIM = 128.0;

    /** Vocabulary assumed when only a parameter count is known (a common SentencePiece/BPE size). */
    public static final int ASSUMED_VOCAB = 32_000;

    /**
     * Profile of a dense decoder-only transformer known only by its size, for planning before its shape is fixed.
     * The estimates:
     *
     * <ul>
     *   <li>parameters {@code P = parametersMillions · 10^6};</li>
     *   <li>training FLOPs per sample {@code 6 · P · tokensPerSample} (forward + backward, the usual
     *       "6 N D" rule; the attention-score term is left out);</li>
     *   <li>shape: GPT-style models keep {@code dModel} near {@value #ASSUMED_DMODEL_PER_LAYER} × layers and have
     *       {@code P ≈ 12 · layers · dModel²}, so {@code layers = max(1, cbrt(P / (12 · 128²)))},
     *       {@code dModel = sqrt(P / (12 · layers))}, heads {@code = max(1, dModel / 128)} (fractional values are
     *       kept: only the memory estimate uses them);</li>
     *   <li>activations, HBM traffic and fixed memory as in {@link #of(ModelSpec, int)} with that shape and a
     *       vocabulary of {@value #ASSUMED_VOCAB}.</li>
     * </ul>
     *
     * For a 1,000 M model and 2,048 tokens this gives ≈ 17 layers of width ≈ 2,200 and ≈ 9 GB of activations per
     * sample. Measured speeds and explicit micro-batch caps replace these priors where known.
     *
     * @throws IllegalArgumentException when a figure is not positive and finite or P rounds below one parameter
     */
    public static ModelProfile ofParameters(double parametersMillions, int tokensPerSample) {
        if (!(parametersMillions > 0) || Double.isInfinite(parametersMillions)) {
            throw new IllegalArgumentException("parametersMillions must be positive and finite, got "
                    + parametersMillions);
        }
        if (tokensPerSample <= 0) {
            throw new IllegalArgumentException("tokensPerSample must be positive, got " + tokensPerSample);
        }
        double p = Math.rint(parametersMillions * 1e6);
        if (p < 1 || p > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException(parametersMillions + " million parameters is out of range");
        }
        double layers = Math.max(1.0,
                Math.cbrt(p / (12.0 * ASSUMED_DMODEL_PER_LAYER * ASSUMED_DMODEL_PER_LAYER)));
        double d = Math.sqrt(p / (12.0 * layers));
        double heads = Math.max(1.0, d / ASSUMED_HEAD_DIM);
        double t = tokensPerSample;
        double activations = layers * t * (ACTIVATION_BYTES_PER_TOKEN_PER_DMODEL * d
                + ATTENTION_BYTES_PER_HEAD_PER_TOKEN_PAIR * heads * t) + t * (4.0 * d + LOGIT_BYTES * ASSUMED_VOCAB);
        long parameters = (long) p;
        return new ModelProfile(parameters, 6.0 * p * t, TRAFFIC_PER_ACTIVATION_BYTE * activations,
                BYTES_PER_PARAMETER * p, activations);
    }

    private static void requireNonNegative(String field, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(field + " must be non-negative and finite, got " + value);
        }
    }
}
