package io.crosstrain.training;

import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.PlanStage;

/**
 * The blocks {@code [firstLayer, lastLayer]} of a model of {@code layers} blocks that one pipeline stage holds
 * (docs/architecture.md §11). The first stage ({@code firstLayer == 0}) also holds the token and position embeddings,
 * the last ({@code lastLayer == layers − 1}) the final norm and the head; the whole model is the one stage that is
 * both. Because the flat parameter vector follows the model's order (embeddings, block 0 … block L−1, final norm,
 * head; {@link TinyTransformer}), a stage's parameters are one contiguous range of it:
 * {@link #parameterOffset} and {@link #parameterCount}.
 */
public record StageRange(int firstLayer, int lastLayer, int layers) {

    public StageRange {
        if (layers <= 0 || firstLayer < 0 || firstLayer > lastLayer || lastLayer >= layers) {
            throw new IllegalArgumentException("a stage holds blocks 0 <= first <= last < layers, got [" + firstLayer
                    + ", " + lastLayer + "] of " + layers);
        }
    }

    /** Blocks {@code [firstLayer, lastLayer]} of {@code spec}'s model. */
    public static StageRange of(ModelSpec spec, int firstLayer, int lastLayer) {
        return new StageRange(firstLayer, lastLayer, spec.layers());
    }

    /** The whole model: a replica of one stage. */
    public static StageRange whole(ModelSpec spec) {
        return new StageRange(0, spec.layers() - 1, spec.layers());
    }

    /**
     * A plan's stage of {@code spec}'s model, checked for consistency: stage 0 starts at block 0, the last stage ends
     * at the last block, and a parameter offset and count the plan states agree with the blocks'.
     *
     * @param vocab the vocabulary the model is built with (to check the plan's offset and count)
     */
    public static StageRange of(ModelSpec spec, int vocab, PlanStage stage) {
        StageRange range = of(spec, stage.firstLayer(), stage.lastLayer());
        if (stage.first() != range.first() || stage.last() != range.last()) {
            throw new IllegalArgumentException("stage " + stage.index() + " of " + stage.stages() + " cannot hold blocks ["
                    + stage.firstLayer() + ", " + stage.lastLayer() + "] of " + spec.layers()
                    + ": the first stage starts at block 0 and the last ends at the last block");
        }
        if (stage.parameterOffset() != null && stage.parameterOffset() != range.parameterOffset(spec, vocab)) {
            throw new IllegalArgumentException("the plan puts stage " + stage.index() + " at parameter "
                    + stage.parameterOffset() + ", its blocks start at " + range.parameterOffset(spec, vocab));
        }
        if (stage.parameterCount() != null && stage.parameterCount() != range.parameterCount(spec, vocab)) {
            throw new IllegalArgumentException("the plan gives stage " + stage.index() + " " + stage.parameterCount()
                    + " parameters, its blocks hold " + range.parameterCount(spec, vocab));
        }
        return range;
    }

    /** Holds the embeddings and takes token ids. */
    public boolean first() {
        return firstLayer == 0;
    }

    /** Holds the final norm and the head and computes the loss. */
    public boolean last() {
        return lastLayer == layers - 1;
    }

    public boolean whole() {
        return first() && last();
    }

    public int blocks() {
        return lastLayer - firstLayer + 1;
    }

    /**
     * Where the stage's parameters start in the whole model's flat vector: 0 for the first stage, else
     * {@code (vocab + seqLen)·d + firstLayer·(12d² + 13d)} (the embeddings and the blocks before it).
     */
    public long parameterOffset(ModelSpec spec, int vocab) {
        requireModel(spec);
        return first() ? 0 : embeddingParameters(spec, vocab) + firstLayer * blockParameters(spec);
    }

    /** The stage's parameters: its blocks, plus the embeddings on the first stage and norm and head on the last. */
    public long parameterCount(ModelSpec spec, int vocab) {
        requireModel(spec);
        long d = spec.dModel();
        return (first() ? embeddingParameters(spec, vocab) : 0) + blocks() * blockParameters(spec)
                + (last() ? 2 * d + d * vocab + vocab : 0);
    }

    /** One block's parameters: two layer norms, attention (4d² + 4d) and the MLP (8d² + 5d). */
    static long blockParameters(ModelSpec spec) {
        long d = spec.dModel();
        return 12 * d * d + 13 * d;
    }

    private static long embeddingParameters(ModelSpec spec, int vocab) {
        return ((long) vocab + spec.seqLen()) * spec.dModel();
    }

    private void requireModel(ModelSpec spec) {
        if (spec.layers() != layers) {
            throw new IllegalArgumentException("stage of a " + layers + "-block model used with " + spec);
        }
    }

    @Override
    public String toString() {
        return "blocks [" + firstLayer + ", " + lastLayer + "] of " + layers;
    }
}
