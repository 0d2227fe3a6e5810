package io.crosstrain.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.crosstrain.contracts.ModelSpec;
import java.util.Arrays;

/**
 * One emulated device's whole model replica: the {@link StageTrainer} of the stage that is the whole model, with the
 * whole-batch operations on top (see {@link StageTrainer} for the optimizer, the state and the micro-batch passes,
 * which a whole replica uses for gradient accumulation).
 *
 * <p>The worker's data-parallel step is {@link #forwardBackwardInto} (export the local gradient, scaled by the local
 * batch so a relay can sum contributions and divide by the global batch), then {@link #applyUpdate} with the global
 * mean gradient. {@link #bareStep} is the same math without the export/import, as the benchmark's baseline.
 */
public final class DeviceTrainer extends StageTrainer {

    /** Mean next-token cross-entropy of a batch and all parameter gradients (flattened, multiplied by the batch). */
    public record StepResult(double loss, float[] gradient) {
    }

    /** A replica with the default weight decay and warm-up. */
    public DeviceTrainer(ModelSpec spec, int vocab, long seed, double learningRate) {
        this(spec, vocab, seed, learningRate, DEFAULT_WEIGHT_DECAY, DEFAULT_WARMUP_STEPS);
    }

    /**
     * @param seed         initial weights (see {@link TinyTransformer}); equal seeds give bit-identical replicas
     * @param learningRate peak learning rate of AdamW
     * @param weightDecay  decoupled weight decay (0 = Adam)
     * @param warmupSteps  optimizer steps of linear learning-rate ramp-up (0 or 1 = none)
     */
    public DeviceTrainer(ModelSpec spec, int vocab, long seed, double learningRate, double weightDecay,
            int warmupSteps) {
        super(spec, vocab, seed, learningRate, weightDecay, warmupSteps, TinyTransformer.wholeModel(spec, vocab));
    }

    // ---- batches ----------------------------------------------------------------------------------------------

    /**
     * Deterministic random windows: the generator is seeded from {@code (seed, step, rank)}, so each rank of each
     * step reads its own windows and a replay reads the same ones.
     */
    public static Batch sample(int[] corpusTokens, long seed, long step, int rank, int batchSize, int seqLen) {
        if (batchSize <= 0 || seqLen <= 0) {
            throw new IllegalArgumentException("batchSize and seqLen must be positive");
        }
        if (corpusTokens.length < seqLen + 1) {
            throw new IllegalArgumentException("corpus of " + corpusTokens.length + " tokens is shorter than one "
                    + "window of " + (seqLen + 1));
        }
        Rng rng = Rng.of(seed, step, rank);
        int starts = corpusTokens.length - seqLen; // valid starts: 0 .. length-seqLen-1
        int[] inputs = new int[batchSize * seqLen];
        int[] targets = new int[batchSize * seqLen];
        for (int b = 0; b < batchSize; b++) {
            int start = rng.nextInt(starts);
            System.arraycopy(corpusTokens, start, inputs, b * seqLen, seqLen);
            System.arraycopy(corpusTokens, start + 1, targets, b * seqLen, seqLen);
        }
        return new Batch(inputs, targets, batchSize, seqLen);
    }

    // ---- the worker's step ---------------------------------------------------------------------------------

    /** Loss and a fresh gradient array; see {@link #forwardBackwardInto}. */
    public StepResult forwardBackward(Batch batch) {
        float[] gradient = new float[parameterCount()];
        double loss = forwardBackwardInto(batch, gradient);
        return new StepResult(loss, gradient);
    }

    /**
     * Forward and backward pass; writes every parameter's gradient of the mean loss, in parameter order and
     * multiplied by {@code batch.batchSize()}, into {@code out} (length {@link #parameterCount()}). The same as one
     * step of a single micro-batch ({@link #beginStep}, {@link #forward(Batch)}, {@link #backward()},
     * {@link #exportGradient}) up to float rounding: here the backward starts from 1 and the export scales.
     *
     * @return the mean next-token cross-entropy of the batch
     */
    public double forwardBackwardInto(Batch batch, float[] out) {
        ensureOpen();
        params.requireLength(out, "gradient buffer");
        try (NDScope scope = new NDScope()) {
            float loss = lossBackward(batch);
            params.gradientsInto(out, batch.batchSize());
            return loss;
        }
    }

    /**
     * The plain DJL step without export: forward, backward, optimizer update straight from the parameters' own
     * gradients. Same math as {@code forwardBackward} + {@code applyUpdate(gradient / batchSize)}.
     *
     * @return the batch loss
     */
    public double bareStep(Batch batch) {
        ensureOpen();
        float loss;
        try (NDScope scope = new NDScope()) {
            loss = lossBackward(batch);
        }
        optimizer.applyOwnGradients();
        return loss;
    }

    /** Zeroes the gradients, runs forward and backward (from 1); the caller holds an {@link NDScope}. */
    private float lossBackward(Batch batch) {
        requireIdle("run a whole-batch pass");
        checkBatch(batch, true, true);
        params.zeroGradients();
        NDArray loss = withGradMode(true, () -> loss(batch));
        backward(loss, loss.onesLike());
        return loss.getFloat();
    }

    private NDArray loss(Batch batch) {
        NDArray logits = model.forward(tokens(manager, batch.inputs(), batch.batchSize(), batch.seqLen()));
        return meanCrossEntropy(logits, batch.targets(), batch.batchSize(), batch.seqLen());
    }

    // ---- evaluation and sampling ------------------------------------------------------------------------------

    /** Mean next-token cross-entropy of a batch without building a graph or touching gradients. */
    public double evaluate(Batch batch) {
        ensureOpen();
        checkBatch(batch, true, true);
        return withGradMode(false, () -> {
            try (NDScope scope = new NDScope()) {
                return (double) loss(batch).getFloat();
            }
        });
    }

    /**
     * Samples {@code chars} characters after {@code prompt} (the model sees at most the last {@code seqLen}
     * tokens). {@code temperature <= 0} picks the most likely character. Deterministic for a given seed.
     *
     * @return the continuation only, without the prompt
     */
    public String generate(CharTokenizer tok, String prompt, int chars, double temperature, long seed) {
        return generate(tok, prompt, chars, temperature, 0, seed);
    }

    /**
     * As {@link #generate(CharTokenizer, String, int, double, long)}, sampling only among the {@code topK} most
     * likely characters (ties broken by the lower token id); {@code topK} 0 or the vocabulary size samples from all.
     */
    public String generate(CharTokenizer tok, String prompt, int chars, double temperature, int topK, long seed) {
        ensureOpen();
        if (topK < 0 || topK > vocab) {
            throw new IllegalArgumentException("topK must be in [0, " + vocab + "]: " + topK);
        }
        if (tok.vocabSize() != vocab) {
            throw new IllegalArgumentException("tokenizer has " + tok.vocabSize() + " symbols, model " + vocab);
        }
        if (chars < 0) {
            throw new IllegalArgumentException("chars must be >= 0: " + chars);
        }
        int[] promptTokens = prompt.isEmpty() ? new int[] {0} : tok.encode(prompt);
        int window = spec.seqLen();
        int[] context = new int[promptTokens.length + chars];
        System.arraycopy(promptTokens, 0, context, 0, promptTokens.length);
        int length = promptTokens.length;
        int[] generated = new int[chars];
        Rng rng = new Rng(Rng.mix(seed ^ 0x6A09E667F3BCC909L));
        double[] probs = new double[vocab];
        for (int c = 0; c < chars; c++) {
            int from = Math.max(0, length - window);
            int len = length - from;
            int[] slice = Arrays.copyOfRange(context, from, length);
            float[] logits = withGradMode(false, () -> {
                try (NDScope scope = new NDScope()) {
                    NDArray out = model.forward(tokens(manager, slice, 1, len));
                    return out.get(0, len - 1).toFloatArray();
                }
            });
            int next = pick(logits, temperature, topK, rng, probs);
            generated[c] = next;
            context[length++] = next;
        }
        return tok.decode(generated);
    }

    private static int pick(float[] logits, double temperature, int topK, Rng rng, double[] probs) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        if (temperature <= 0) {
            return best;
        }
        boolean[] kept = topK > 0 && topK < logits.length ? topK(logits, topK) : null;
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            probs[i] = kept != null && !kept[i] ? 0 : StrictMath.exp((logits[i] - logits[best]) / temperature);
            sum += probs[i];
        }
        double r = rng.nextDouble() * sum;
        for (int i = 0; i < logits.length; i++) {
            r -= probs[i];
            if (r < 0) {
                return i;
            }
        }
        return best;
    }

    /** Which tokens are among the {@code k} largest logits; an exact count, lower ids first on a tie. */
    private static boolean[] topK(float[] logits, int k) {
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a])
                : Integer.compare(a, b));
        boolean[] kept = new boolean[logits.length];
        for (int i = 0; i < k; i++) {
            kept[order[i]] = true;
        }
        return kept;
    }
}
