package io.crosstrain.planner;

import io.crosstrain.contracts.ModelSpec;
import java.util.Objects;

/**
 * A transformer as the pipeline planner sees it: {@code layers} identical blocks, plus what the first stage holds
 * before them (token and position embeddings) and what the last stage holds after them (final norm and output head).
 * The flat parameter vector is ordered the same way (embeddings, block 0 … block L−1, final norm, head), so any
 * contiguous block range is one contiguous parameter range.
 *
 * <p>Per sample (one sequence of {@code seqLen} tokens):
 * <ul>
 *   <li>parameters of a block {@code 12·d² + 13·d}; embeddings {@code (vocab + seqLen)·d}; final norm and head
 *       {@code 2·d + d·vocab + vocab} (together {@link ModelSpec#parameters});</li>
 *   <li>training FLOPs: {@code 6 · parameters · seqLen} for each part, plus {@code 12 · seqLen² · d} per block for the
 *       attention scores (together {@link ModelSpec#flopsPerSample});</li>
 *   <li>activations kept for the backward pass, bytes: per block
 *       {@code seqLen · }{@value ModelProfile#ACTIVATION_BYTES_PER_TOKEN_PER_DMODEL}{@code · d} (Korthikanti et al.,
 *       "Reducing Activation Recomputation in Large Transformer Models", 2022, §4: 16-bit inputs of attention, MLP
 *       and both layer norms, 1-byte dropout masks), without the {@code 5·heads·seqLen²} bytes of attention scores
 *       that paper adds: fused attention (FlashAttention, Dao et al. 2022) recomputes them in the backward pass
 *       instead of keeping them; the first stage adds the embedding output {@code 2·seqLen·d}, the last the final
 *       norm's output and the logits with their fp32 softmax {@code seqLen · (2·d + 6·vocab)};</li>
 *   <li>the tensor one stage hands the next: {@code seqLen · d} values of {@link #BOUNDARY_BYTES_PER_VALUE} bytes.</li>
 * </ul>
 *
 * @param layers              transformer blocks
 * @param dModel              width (may be fractional for a model known only by its size)
 * @param seqLen              tokens per sample
 * @param blockParameters     parameters of one block
 * @param firstParameters     parameters the first stage holds besides its blocks
 * @param lastParameters      parameters the last stage holds besides its blocks
 * @param blockFlops          training FLOPs of one block per sample
 * @param firstFlops          training FLOPs of the embeddings per sample
 * @param lastFlops           training FLOPs of final norm and head per sample
 * @param blockActivations    activation bytes one block keeps per sample
 * @param firstActivations    activation bytes the embeddings keep per sample
 * @param lastActivations     activation bytes final norm, head and loss keep per sample
 */
public record LayerModel(int layers, double dModel, int seqLen, double blockParameters, double firstParameters,
                         double lastParameters, double blockFlops, double firstFlops, double lastFlops,
                         double blockActivations, double firstActivations, double lastActivations) {

    /** Activations cross a stage boundary in 16 bit, as mixed-precision pipelines send them. */
    public static final double BOUNDARY_BYTES_PER_VALUE = 2.0;

    public LayerModel {
        if (layers < 1) {
            throw new IllegalArgumentException("a model needs at least one layer, got " + layers);
        }
        if (seqLen < 1) {
            throw new IllegalArgumentException("seqLen must be positive, got " + seqLen);
        }
        for (double v : new double[] {dModel, blockParameters, firstParameters, lastParameters, blockFlops,
                firstFlops, lastFlops, blockActivations, firstActivations, lastActivations}) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("model figures must be non-negative and finite: " + v);
            }
        }
    }

    /** The model of a {@link ModelSpec} with {@code vocab} tokens ({@code vocab ≤ 0}: the spec's own). */
    public static LayerModel of(ModelSpec spec, int vocab) {
        Objects.requireNonNull(spec, "spec");
        int v = vocab > 0 ? vocab : spec.vocabSize();
        if (v <= 0) {
            throw new IllegalArgumentException("vocabulary size unknown: argument " + vocab + " and spec.vocabSize "
                    + spec.vocabSize() + " are both ≤ 0");
        }
        if (spec.layers() <= 0 || spec.dModel() <= 0 || spec.heads() <= 0 || spec.seqLen() <= 0) {
            throw new IllegalArgumentException("model dimensions must be positive: " + spec);
        }
        double d = spec.dModel();
        double s = spec.seqLen();
        double block = 12 * d * d + 13 * d;
        double first = (v + s) * d;
        double last = 2 * d + d * v + v;
        return new LayerModel(spec.layers(), d, spec.seqLen(), block, first, last,
                6 * block * s + 12 * s * s * d, 6 * first * s, 6 * last * s,
                s * ModelProfile.ACTIVATION_BYTES_PER_TOKEN_PER_DMODEL * d, 2 * s * d,
                s * (2 * d + ModelProfile.LOGIT_BYTES * v));
    }

    /** Width assumed per layer when only a parameter count is known: {@code dModel ≈ 128 · layers}. */
    public static final double ASSUMED_DMODEL_PER_LAYER = 128.0;

    /**
     * A model known only by its size: {@code P = parametersMillions · 10^6} parameters in {@code layers} blocks
     * ({@code layers ≤ 0}: GPT-style proportions, {@code dModel ≈ }{@value #ASSUMED_DMODEL_PER_LAYER}{@code ·layers}
     * with {@code P ≈ 12·layers·dModel²}, so {@code layers = max(1, round(cbrt(P / (12·128²))))}), width
     * {@code d = sqrt(P / (12·layers))}. The blocks hold all {@code P} (embeddings and head counted in them, as
     * their size is unknown); the last stage still keeps logits over a {@value ModelProfile#ASSUMED_VOCAB}-token
     * vocabulary. FLOPs {@code 6·P·seqLen} (the attention-score term left out).
     */
    public static LayerModel ofParameters(double parametersMillions, int layers, int seqLen) {
        if (!(parametersMillions > 0) || Double.isInfinite(parametersMillions)) {
            throw new IllegalArgumentException("parametersM must be positive and finite, got " + parametersMillions);
        }
        if (seqLen <= 0) {
            throw new IllegalArgumentException("tokens per sample must be positive, got " + seqLen);
        }
        double p = Math.rint(parametersMillions * 1e6);
        if (p < 1 || p > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException(parametersMillions + " million parameters is out of range");
        }
        int l = layers > 0 ? layers
                : (int) Math.max(1, Math.round(Math.cbrt(p / (12.0 * ASSUMED_DMODEL_PER_LAYER
                        * ASSUMED_DMODEL_PER_LAYER))));
        double d = Math.sqrt(p / (12.0 * l));
        double s = seqLen;
        double block = p / l;
        return new LayerModel(l, d, seqLen, block, 0, 0, 6 * block * s, 0, 0,
                s * ModelProfile.ACTIVATION_BYTES_PER_TOKEN_PER_DMODEL * d, 2 * s * d,
                s * (2 * d + ModelProfile.LOGIT_BYTES * ModelProfile.ASSUMED_VOCAB));
    }

    /** What the whole-model cost model needs ({@link CostModel}). */
    public ModelProfile profile() {
        double act = activations(0, layers - 1);
        return new ModelProfile(Math.round(parameters()), flops(),
                ModelProfile.TRAFFIC_PER_ACTIVATION_BYTE * act, ModelProfile.BYTES_PER_PARAMETER * parameters(), act);
    }

    /** All parameters. */
    public double parameters() {
        return firstParameters + layers * blockParameters + lastParameters;
    }

    /** All training FLOPs per sample. */
    public double flops() {
        return firstFlops + layers * blockFlops + lastFlops;
    }

    /** Parameters of blocks {@code [first, last]} with the embeddings or the head where the range holds the ends. */
    public double parameters(int first, int last) {
        return part(first, last, firstParameters, blockParameters, lastParameters);
    }

    public double flops(int first, int last) {
        return part(first, last, firstFlops, blockFlops, lastFlops);
    }

    public double activations(int first, int last) {
        return part(first, last, firstActivations, blockActivations, lastActivations);
    }

    /** Bytes one sample's activations take crossing a stage boundary. */
    public double boundaryBytes() {
        return seqLen * dModel * BOUNDARY_BYTES_PER_VALUE;
    }

    private double part(int first, int last, double head, double block, double tail) {
        if (first < 0 || last >= layers || first > last) {
            throw new IllegalArgumentException("layers " + first + ".." + last + " outside 0.." + (layers - 1));
        }
        return (first == 0 ? head : 0) + (last - first + 1) * block + (last == layers - 1 ? tail : 0);
    }
}
