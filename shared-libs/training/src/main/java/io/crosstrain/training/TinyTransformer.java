package io.crosstrain.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import io.crosstrain.contracts.ModelSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decoder-only character transformer written directly with NDArray operations (GPT-2 layout, pre-norm):
 * <pre>
 * x = tok_emb[tokens] + pos_emb[0..L)
 * per layer i:  x += proj(causal_multihead_attention(qkv(ln1(x))))
 *               x += mlp.proj(gelu(mlp.fc(ln2(x))))        (hidden width 4·d)
 * logits = head(ln_f(x))
 * </pre>
 * The parameters, in this fixed order, are exactly those counted by {@link ModelSpec#parameters(int)}: token and
 * position embeddings; per layer two layer norms (gain and bias), the fused q/k/v projection and the output
 * projection (weights and biases), the MLP's two linear layers; the final layer norm; the untied output head with
 * bias. Linear weights are stored PyTorch-style as {@code [out, in]}.
 *
 * <p>Initial values depend only on {@code seed} and the parameter's name (our own SplitMix64 stream per parameter,
 * Box–Muller on {@link StrictMath}), never on the engine's RNG, so replicas built in different JVMs are
 * bit-identical: weights ~ N(0, 0.02²), residual output projections ~ N(0, (0.02/√(2·layers))²), biases 0,
 * layer-norm gains 1.
 *
 * <p>A pipeline stage ({@link StageRange}) is built with only its own parameters: blocks {@code [first, last]} (named
 * by their index in the whole model, {@code h{i}.*}), plus the embeddings on the first stage and the final norm and
 * the head on the last. By the rule above they equal the whole model's. The stage's {@link #forward} takes token ids
 * on the first stage and the previous stage's activations {@code [B, L, d]} on the others, and returns logits on the
 * last stage and its output activations {@code [B, L, d]} on the others; chaining the stages' forwards is the whole
 * model's forward.
 */
public final class TinyTransformer implements AutoCloseable {

    private static final float INIT_STD = 0.02f;
    private static final float LN_EPS = 1e-5f;
    private static final float MASKED = -1e9f;

    private final ModelSpec spec;
    private final int vocab;
    private final int d;
    private final int heads;
    private final StageRange stage;
    private final LinkedHashMap<String, NDArray> parameters = new LinkedHashMap<>();
    private final NDArray causalMask;
    /** 1/√(head dim) as a tensor libtorch owns (see the note in the constructor). */
    private final NDArray attentionScale;

    /**
     * Builds the model in {@code manager} (which the caller owns and closes).
     *
     * @param vocab vocabulary size; must match {@code spec.vocabSize()} unless that is 0 ("derive from corpus")
     */
    public TinyTransformer(NDManager manager, ModelSpec spec, int vocab, long seed) {
        this(manager, spec, vocab, seed, wholeModel(spec, vocab));
    }

    /** The stage that is the whole model, after {@link #validate} (whose messages come first). */
    static StageRange wholeModel(ModelSpec spec, int vocab) {
        validate(spec, vocab);
        return StageRange.whole(spec);
    }

    /**
     * Builds the parameters of one pipeline stage of the model in {@code manager} (which the caller owns and closes).
     *
     * @param stage blocks of {@code spec}'s model this stage holds
     */
    public TinyTransformer(NDManager manager, ModelSpec spec, int vocab, long seed, StageRange stage) {
        validate(spec, vocab);
        if (stage.layers() != spec.layers()) {
            throw new IllegalArgumentException("stage " + stage + " does not belong to " + spec);
        }
        this.spec = spec;
        this.vocab = vocab;
        this.d = spec.dModel();
        this.heads = spec.heads();
        this.stage = stage;
        int seq = spec.seqLen();

        for (Param p : layout(spec, vocab, stage)) {
            add(manager, seed, p.name(), new Shape(p.shape()), p.init());
        }

        float[] mask = new float[seq * seq];
        for (int r = 0; r < seq; r++) {
            for (int c = r + 1; c < seq; c++) {
                mask[r * seq + c] = MASKED; // position r may not look at later positions
            }
        }
        try (NDArray staging = manager.create(mask, new Shape(seq, seq))) {
            causalMask = staging.duplicate();
        }
        // Never NDArray.mul(Number) inside the graph: DJL wraps the number in a tensor over a Java direct buffer and
        // closes it right after the multiply, but autograd keeps that tensor for the backward pass; once the GC
        // frees the buffer, the backward reads freed memory (seen as rare garbage in the first layer's dq).
        attentionScale = manager.full(new Shape(), (float) (1.0 / Math.sqrt((double) d / heads)));
    }

    static void validate(ModelSpec spec, int vocab) {
        if (spec.layers() <= 0 || spec.dModel() <= 0 || spec.heads() <= 0 || spec.seqLen() <= 0) {
            throw new IllegalArgumentException("model dimensions must be positive: " + spec);
        }
        if (spec.dModel() % spec.heads() != 0) {
            throw new IllegalArgumentException("dModel " + spec.dModel() + " is not divisible by heads "
                    + spec.heads());
        }
        if (vocab <= 0) {
            throw new IllegalArgumentException("vocab must be positive: " + vocab);
        }
        if (spec.vocabSize() != 0 && spec.vocabSize() != vocab) {
            throw new IllegalArgumentException("spec says vocabSize " + spec.vocabSize() + " but the tokenizer has "
                    + vocab);
        }
    }

    private enum Init { NORMAL, RESIDUAL, ONES, ZEROS }

    private record Param(String name, long[] shape, Init init) {
    }

    /** The stage's parameters in their fixed order; the one place that names and shapes them. */
    private static List<Param> layout(ModelSpec spec, int vocab, StageRange stage) {
        long d = spec.dModel();
        List<Param> out = new ArrayList<>();
        if (stage.first()) {
            out.add(new Param("tok_emb", new long[] {vocab, d}, Init.NORMAL));
            out.add(new Param("pos_emb", new long[] {spec.seqLen(), d}, Init.NORMAL));
        }
        for (int i = stage.firstLayer(); i <= stage.lastLayer(); i++) {
            String p = "h" + i + ".";
            out.add(new Param(p + "ln1.gamma", new long[] {d}, Init.ONES));
            out.add(new Param(p + "ln1.beta", new long[] {d}, Init.ZEROS));
            out.add(new Param(p + "attn.qkv.weight", new long[] {3 * d, d}, Init.NORMAL));
            out.add(new Param(p + "attn.qkv.bias", new long[] {3 * d}, Init.ZEROS));
            out.add(new Param(p + "attn.proj.weight", new long[] {d, d}, Init.RESIDUAL));
            out.add(new Param(p + "attn.proj.bias", new long[] {d}, Init.ZEROS));
            out.add(new Param(p + "ln2.gamma", new long[] {d}, Init.ONES));
            out.add(new Param(p + "ln2.beta", new long[] {d}, Init.ZEROS));
            out.add(new Param(p + "mlp.fc.weight", new long[] {4 * d, d}, Init.NORMAL));
            out.add(new Param(p + "mlp.fc.bias", new long[] {4 * d}, Init.ZEROS));
            out.add(new Param(p + "mlp.proj.weight", new long[] {d, 4 * d}, Init.RESIDUAL));
            out.add(new Param(p + "mlp.proj.bias", new long[] {d}, Init.ZEROS));
        }
        if (stage.last()) {
            out.add(new Param("ln_f.gamma", new long[] {d}, Init.ONES));
            out.add(new Param("ln_f.beta", new long[] {d}, Init.ZEROS));
            out.add(new Param("head.weight", new long[] {vocab, d}, Init.NORMAL));
            out.add(new Param("head.bias", new long[] {vocab}, Init.ZEROS));
        }
        return out;
    }

    /**
     * The whole model's parameter names and shapes in their fixed order (the order of the flat vector), without
     * building it: what an exporter needs to cut a flat weight vector into named tensors. Linear weights are
     * {@code [out, in]}.
     */
    public static LinkedHashMap<String, long[]> parameterShapes(ModelSpec spec, int vocab) {
        validate(spec, vocab);
        LinkedHashMap<String, long[]> shapes = new LinkedHashMap<>();
        for (Param p : layout(spec, vocab, StageRange.whole(spec))) {
            shapes.put(p.name(), p.shape().clone());
        }
        return shapes;
    }

    private void add(NDManager manager, long seed, String name, Shape shape, Init init) {
        float[] values = new float[Math.toIntExact(shape.size())];
        switch (init) {
            case ONES -> Arrays.fill(values, 1f);
            case ZEROS -> { }
            case NORMAL, RESIDUAL -> {
                double std = init == Init.NORMAL ? INIT_STD : INIT_STD / Math.sqrt(2.0 * spec.layers());
                Rng rng = Rng.of(seed, Rng.hash(name));
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (rng.nextGaussian() * std);
                }
            }
        }
        // manager.create(float[]) wraps a Java direct buffer (from_blob); clone into memory libtorch owns, so the
        // parameter's storage never depends on the lifetime of a Java object
        NDArray array;
        try (NDArray staging = manager.create(values, shape)) {
            array = staging.duplicate();
        }
        array.setName(name);
        array.setRequiresGradient(true);
        parameters.put(name, array);
    }

    /**
     * The stage's forward pass; for the whole model, logits for a batch of token ids.
     *
     * @param input first stage: integer token ids {@code [B, L]} with {@code L <= seqLen} (int64 preferred; others
     *     are converted); other stages: the previous stage's float32 activations {@code [B, L, d]}
     * @return last stage: float32 logits {@code [B, L, V]}; other stages: the activations {@code [B, L, d]} after the
     *     stage's last block. Intermediate arrays are released, the result is attached to the input's manager (and to
     *     the caller's {@link NDScope}, if any)
     */
    public NDArray forward(NDArray input) {
        Shape shape = input.getShape();
        if (stage.first() ? shape.dimension() != 2 : shape.dimension() != 3 || shape.get(2) != d) {
            throw new IllegalArgumentException((stage.first() ? "tokens must be [batch, length]"
                    : "activations must be [batch, length, " + d + "]") + ", got " + shape);
        }
        long batch = shape.get(0);
        long len = shape.get(1);
        if (len < 1 || len > spec.seqLen()) {
            throw new IllegalArgumentException("sequence length " + len + " outside 1.." + spec.seqLen());
        }
        NDArray out;
        try (NDScope scope = new NDScope()) {
            NDArray x = stage.first() ? embed(input, len) : input;
            NDArray mask = len == spec.seqLen() ? causalMask : causalMask.get(new NDIndex(":{}, :{}", len, len));
            for (int i = stage.firstLayer(); i <= stage.lastLayer(); i++) {
                x = block(x, "h" + i + ".", mask, batch, len);
            }
            out = stage.last() ? linear(layerNorm(x, "ln_f"), "head") : x;
            NDScope.unregister(out);
        }
        NDScope.register(out);
        return out;
    }

    private NDArray embed(NDArray tokens, long len) {
        // autograd keeps the ids for the embedding's backward: use an int64 copy libtorch owns, so the caller's
        // array (possibly wrapping a Java buffer) may be closed before backward
        NDArray ids = tokens.getDataType() == DataType.INT64 ? tokens : tokens.toType(DataType.INT64, false);
        NDArray x = ex(ids).embedding(ids, p("tok_emb"), SparseFormat.DENSE).singletonOrThrow();
        NDArray pos = len == spec.seqLen() ? p("pos_emb") : p("pos_emb").get(new NDIndex(":{}", len));
        return x.add(pos);
    }

    private NDArray block(NDArray x, String pre, NDArray mask, long batch, long len) {
        NDArray h = layerNorm(x, pre + "ln1");
        NDList qkv = linear(h, pre + "attn.qkv").split(3, 2);
        NDArray q = splitHeads(qkv.get(0), batch, len).mul(attentionScale);
        NDArray k = splitHeads(qkv.get(1), batch, len);
        NDArray v = splitHeads(qkv.get(2), batch, len);
        NDArray attention = q.matMul(k.transpose(0, 1, 3, 2)).add(mask).softmax(-1);
        NDArray mixed = attention.matMul(v).transpose(0, 2, 1, 3).reshape(batch, len, d);
        x = x.add(linear(mixed, pre + "attn.proj"));
        NDArray m = linear(layerNorm(x, pre + "ln2"), pre + "mlp.fc");
        m = linear(ex(m).gelu(), pre + "mlp.proj");
        return x.add(m);
    }

    private NDArray splitHeads(NDArray t, long batch, long len) {
        return t.reshape(batch, len, heads, d / heads).transpose(0, 2, 1, 3);
    }

    private NDArray layerNorm(NDArray x, String name) {
        return ex(x).layerNorm(x, new Shape(d), p(name + ".gamma"), p(name + ".beta"), LN_EPS).singletonOrThrow();
    }

    private NDArray linear(NDArray x, String name) {
        return ex(x).linear(x, p(name + ".weight"), p(name + ".bias")).singletonOrThrow();
    }

    private static NDArrayEx ex(NDArray a) {
        return a.getNDArrayInternal();
    }

    private NDArray p(String name) {
        return parameters.get(name);
    }

    /**
     * Number of trainable scalars of the stage; equals {@code stage().parameterCount(spec, vocab)}, for the whole
     * model {@code spec.parameters(vocab)}.
     */
    public long parameterCount() {
        long n = 0;
        for (NDArray a : parameters.values()) {
            n += a.size();
        }
        return n;
    }

    /** The parameters in their fixed order (read-only view; the arrays themselves are live). */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    public ModelSpec spec() {
        return spec;
    }

    /** The blocks this model holds; {@link StageRange#whole} unless built as a pipeline stage. */
    public StageRange stage() {
        return stage;
    }

    public int vocab() {
        return vocab;
    }

    /** Releases the parameters and constants; the manager stays with its owner. */
    @Override
    public void close() {
        parameters.values().forEach(NDArray::close);
        causalMask.close();
        attentionScale.close();
    }
}
