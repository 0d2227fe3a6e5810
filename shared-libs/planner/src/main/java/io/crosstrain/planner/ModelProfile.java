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
     * Profile of a {@link ModelSpec} transformer ({@link LayerModel#of}, where every figure is written out):
     * parameters and FLOPs as {@link ModelSpec#parameters(int)} and {@link ModelSpec#flopsPerSample(int)};
     * activations {@code layers·seqLen·34·dModel + seqLen·(4·dModel + 6·vocab)} bytes per sample; HBM traffic
     * {@value #TRAFFIC_PER_ACTIVATION_BYTE} × activations; fixed memory {@value #BYTES_PER_PARAMETER} bytes per
     * parameter.
     *
     * @param vocab vocabulary size; when ≤ 0 the spec's own {@code vocabSize} is used
     * @throws IllegalArgumentException when no positive vocabulary size is known or the spec has a non-positive size
     */
    public static ModelProfile of(ModelSpec spec, int vocab) {
        return LayerModel.of(spec, vocab).profile();
    }

    /** Vocabulary assumed when only a parameter count is known (a common SentencePiece/BPE size). */
    public static final int ASSUMED_VOCAB = 32_000;

    /**
     * Profile of a dense decoder-only transformer known only by its size ({@link LayerModel#ofParameters} with the
     * GPT-style number of layers): {@code 6·P·tokens} FLOPs per sample, activations of that shape. For a 1,000 M
     * model and 2,048 tokens: 17 layers of width ≈ 2,200 and ≈ 3.0 GB of activations per sample.
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
        return LayerModel.ofParameters(parametersMillions, 0, tokensPerSample).profile();
    }

    private static void requireNonNegative(String field, double value) {
        if (!(value >= 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(field + " must be non-negative and finite, got " + value);
        }
    }
}
