package io.crosstrain.training;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.optimizer.AdamW;
import ai.djl.training.tracker.Tracker;
import io.crosstrain.contracts.ModelSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One emulated device's model replica: its own {@link NDManager}, a {@link TinyTransformer} and DJL's AdamW.
 *
 * <p>The worker's data-parallel step is {@link #forwardBackwardInto} (export the local gradient, scaled by the local
 * batch so a relay can sum contributions and divide by the global batch), then {@link #applyUpdate} with the global
 * mean gradient. {@link #bareStep} is the same math without the export/import, as the benchmark's baseline.
 *
 * <p>The inner optimizer is DJL's AdamW (Adam with decoupled weight decay, the inner optimizer of ARCHITECTURE.md
 * §4; with {@code weightDecay = 0} it is plain Adam), called standalone through
 * {@code Optimizer.update(name, weight, gradient)}. Settings: β1 = 0.9, β2 = {@value #BETA2} (the usual choice when a
 * step sees few tokens), ε = 1e-8, and the learning rate ramps up linearly over the first {@code warmupSteps}
 * updates (default {@value #DEFAULT_WARMUP_STEPS}), which keeps the first steps of a fresh model from spiking.
 * Everything runs on the CPU with one thread, so the same inputs give the same bits: two trainers with the same seed
 * fed the same averaged gradients hold identical weights.
 *
 * <p>Not thread-safe: one trainer belongs to one worker thread. Trainers on different threads of one JVM run fully
 * in parallel: backward goes straight through libtorch with grad mode switched on for the calling thread only, as
 * DJL's own gradient collector allows just one collector per JVM.
 */
public final class DeviceTrainer implements AutoCloseable {

    /** AdamW's default decoupled weight decay here. */
    public static final double DEFAULT_WEIGHT_DECAY = io.crosstrain.contracts.OptimizerSpec.DEFAULT_WEIGHT_DECAY;
    /** Default number of optimizer steps over which the learning rate ramps up linearly. */
    public static final int DEFAULT_WARMUP_STEPS = io.crosstrain.contracts.OptimizerSpec.DEFAULT_WARMUP_STEPS;
    /** Adam's second-moment decay. */
    public static final float BETA2 = 0.99f;

    /**
     * A micro-batch of {@code batchSize} windows of {@code seqLen} tokens, row-major; {@code targets} are the inputs
     * shifted by one token.
     */
    public record Batch(int[] inputs, int[] targets, int batchSize, int seqLen) {
        public Batch {
            if (batchSize <= 0 || seqLen <= 0) {
                throw new IllegalArgumentException("batchSize and seqLen must be positive");
            }
            if (inputs.length != batchSize * seqLen || targets.length != inputs.length) {
                throw new IllegalArgumentException("inputs/targets must hold batchSize*seqLen = "
                        + batchSize * seqLen + " tokens, got " + inputs.length + "/" + targets.length);
            }
        }
    }

    /** Mean next-token cross-entropy of a batch and all parameter gradients (flattened, multiplied by the batch). */
    public record StepResult(double loss, float[] gradient) {
    }

    private final ModelSpec spec;
    private final int vocab;
    private final NDManager manager;
    private final Engine engine;
    private final TinyTransformer model;
    private final TrackedAdamW optimizer;
    private final String[] names;
    private final NDArray[] params;
    private final int[] offsets;
    private final int[] sizes;
    private final int total;
    /** Our own gradient tensors for {@link #applyUpdate}, with live float views onto their memory. */
    private final NDArray[] importGradients;
    private final FloatBuffer[] importViews;
    private boolean closed;

    /** The device this replica's tensors live on and its math runs on. */
    public Device device() {
        return manager.getDevice();
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
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be positive and finite: " + learningRate);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weightDecay must be >= 0 and finite: " + weightDecay);
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmupSteps must be >= 0: " + warmupSteps);
        }
        TinyTransformer.validate(spec, vocab);
        DjlSetup.configureCpu();
        this.spec = spec;
        this.vocab = vocab;
        this.engine = Engine.getEngine("PyTorch");
        this.manager = NDManager.newBaseManager(ExecutionMode.COMPUTE_DEVICE, "PyTorch");
        this.model = new TinyTransformer(manager, spec, vocab, seed);
        float peak = (float) learningRate;
        float ramp = Math.max(1, warmupSteps);
        // DJL numbers updates from 1
        Tracker schedule = update -> peak * Math.min(1f, update / ramp);
        this.optimizer = new TrackedAdamW(AdamW.builder()
                .optLearningRateTracker(schedule)
                .optBeta2(BETA2)
                .optWeightDecays((float) weightDecay));

        Map<String, NDArray> map = model.parameters();
        int n = map.size();
        names = new String[n];
        params = new NDArray[n];
        offsets = new int[n];
        sizes = new int[n];
        importGradients = new NDArray[n];
        importViews = new FloatBuffer[n];
        int offset = 0;
        int i = 0;
        for (Map.Entry<String, NDArray> e : map.entrySet()) {
            names[i] = e.getKey();
            params[i] = e.getValue();
            offsets[i] = offset;
            sizes[i] = Math.toIntExact(e.getValue().size());
            offset = Math.addExact(offset, sizes[i]);
            importGradients[i] = manager.zeros(e.getValue().getShape(), DataType.FLOAT32);
            importViews[i] = importGradients[i].toByteBuffer(true).asFloatBuffer();
            i++;
        }
        total = offset;
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
        float[] gradient = new float[total];
        double loss = forwardBackwardInto(batch, gradient);
        return new StepResult(loss, gradient);
    }

    /**
     * Forward and backward pass; writes every parameter's gradient of the mean loss, in parameter order and
     * multiplied by {@code batch.batchSize()}, into {@code out} (length {@link #parameterCount()}).
     *
     * @return the mean next-token cross-entropy of the batch
     */
    public double forwardBackwardInto(Batch batch, float[] out) {
        ensureOpen();
        if (out.length != total) {
            throw new IllegalArgumentException("gradient buffer has " + out.length + " floats, model has " + total);
        }
        float scale = batch.batchSize();
        try (NDScope scope = new NDScope()) {
            float loss = backward(batch);
            for (int i = 0; i < params.length; i++) {
                // a direct view of the gradient tensor: one copy, straight into the caller's buffer
                FloatBuffer view = params[i].getGradient().toByteBuffer(true).asFloatBuffer();
                int off = offsets[i];
                int end = off + sizes[i];
                view.get(out, off, sizes[i]);
                for (int j = off; j < end; j++) {
                    out[j] *= scale;
                }
            }
            return loss;
        }
    }

    /**
     * Applies one optimizer step with the given global mean gradient (parameter order, length
     * {@link #parameterCount()}). Deterministic: equal weights and equal gradients give equal weights.
     */
    public void applyUpdate(float[] averagedGradient) {
        ensureOpen();
        if (averagedGradient.length != total) {
            throw new IllegalArgumentException("gradient has " + averagedGradient.length + " floats, model has "
                    + total);
        }
        for (int i = 0; i < params.length; i++) {
            FloatBuffer view = importViews[i];
            view.clear();
            view.put(averagedGradient, offsets[i], sizes[i]);
            optimizer.update(names[i], params[i], importGradients[i]);
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
        NDArray[] gradients = new NDArray[params.length];
        try (NDScope scope = new NDScope()) {
            loss = backward(batch);
            for (int i = 0; i < params.length; i++) {
                gradients[i] = params[i].getGradient();
            }
            NDScope.unregister(gradients);
        }
        try {
            for (int i = 0; i < params.length; i++) {
                optimizer.update(names[i], params[i], gradients[i]);
            }
        } finally {
            for (NDArray g : gradients) {
                g.close();
            }
        }
        return loss;
    }

    /** Zeroes the gradients, runs forward and backward; the caller holds an {@link NDScope}. */
    private float backward(Batch batch) {
        checkBatch(batch);
        // DJL's GradientCollector allows one per JVM; libtorch's grad mode is per thread, so each device thread
        // switches it on for itself and runs backward on its own graph: devices of a node compute in parallel.
        boolean wasGradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try {
            for (NDArray p : params) {
                JniUtils.zeroGrad((PtNDArray) p);
            }
            NDArray loss = loss(batch);
            NDArray seed = loss.onesLike();
            JniUtils.backward((PtNDArray) loss, (PtNDArray) seed, false, false);
            return loss.getFloat();
        } finally {
            JniUtils.setGradMode(wasGradMode);
        }
    }

    private NDArray loss(Batch batch) {
        Shape shape = new Shape(batch.batchSize(), batch.seqLen());
        // int64 copies in libtorch-owned memory (the int32 staging arrays wrap Java buffers)
        NDArray inputs = manager.create(batch.inputs(), shape).toType(DataType.INT64, false);
        NDArray targets = manager.create(batch.targets(), new Shape(batch.batchSize(), batch.seqLen(), 1))
                .toType(DataType.INT64, false);
        NDArray logProbs = model.forward(inputs).logSoftmax(-1);
        return logProbs.gather(targets, 2).mean().neg();
    }

    private void checkBatch(Batch batch) {
        if (batch.seqLen() > spec.seqLen()) {
            throw new IllegalArgumentException("batch seqLen " + batch.seqLen() + " exceeds the model's "
                    + spec.seqLen());
        }
        for (int t : batch.inputs()) {
            checkToken(t);
        }
        for (int t : batch.targets()) {
            checkToken(t);
        }
    }

    private void checkToken(int t) {
        if (t < 0 || t >= vocab) {
            throw new IllegalArgumentException("token " + t + " outside vocabulary of " + vocab);
        }
    }

    // ---- evaluation and sampling ------------------------------------------------------------------------------

    /** Mean next-token cross-entropy of a batch without building a graph or touching gradients. */
    public double evaluate(Batch batch) {
        ensureOpen();
        checkBatch(batch);
        return withoutGradients(() -> {
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
        ensureOpen();
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
            float[] logits = withoutGradients(() -> {
                try (NDScope scope = new NDScope()) {
                    NDArray out = model.forward(manager.create(slice, new Shape(1, len)).toType(DataType.INT64,
                            false));
                    return out.get(0, len - 1).toFloatArray();
                }
            });
            int next = pick(logits, temperature, rng, probs);
            generated[c] = next;
            context[length++] = next;
        }
        return tok.decode(generated);
    }

    private static int pick(float[] logits, double temperature, Rng rng, double[] probs) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        if (temperature <= 0) {
            return best;
        }
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            probs[i] = StrictMath.exp((logits[i] - logits[best]) / temperature);
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

    private static <T> T withoutGradients(Supplier<T> body) {
        // grad mode is a per-thread libtorch flag; restore whatever the caller had
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    // ---- weights ----------------------------------------------------------------------------------------------

    /** SHA-256 (hex) of every parameter's float32 values, little-endian, in parameter order. */
    public String weightsHash() {
        ensureOpen();
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
        boolean littleEndian = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        for (NDArray p : params) {
            ByteBuffer raw = p.toByteBuffer(true);
            if (littleEndian) {
                sha.update(raw);
            } else {
                FloatBuffer floats = raw.order(ByteOrder.nativeOrder()).asFloatBuffer();
                ByteBuffer le = ByteBuffer.allocate(floats.remaining() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                le.asFloatBuffer().put(floats);
                sha.update(le);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** A copy of all weights, flattened in parameter order. */
    public float[] weights() {
        ensureOpen();
        float[] out = new float[total];
        for (int i = 0; i < params.length; i++) {
            params[i].toByteBuffer(true).asFloatBuffer().get(out, offsets[i], sizes[i]);
        }
        return out;
    }

    /** Overwrites all weights (parameter order). The optimizer's moment estimates are kept. */
    public void loadWeights(float[] w) {
        ensureOpen();
        if (w.length != total) {
            throw new IllegalArgumentException("weights have " + w.length + " floats, model has " + total);
        }
        for (int i = 0; i < params.length; i++) {
            params[i].toByteBuffer(true).asFloatBuffer().put(w, offsets[i], sizes[i]);
        }
    }

    /**
     * Everything a replica's future depends on besides the data: its weights, AdamW's first and second moment
     * estimates (parameter order, like the weights) and how many updates it applied (the bias correction and the
     * learning-rate warm-up follow it). A replica that imports it continues bit for bit like the one exported.
     */
    public record State(int updates, float[] weights, float[] means, float[] variances) {
    }

    public State exportState() {
        ensureOpen();
        float[] means = new float[total];
        float[] variances = new float[total];
        for (int i = 0; i < params.length; i++) {
            List<NDArray> moments = optimizer.moments(names[i]);
            float[][] preset = optimizer.preset(names[i]);
            if (moments.size() == 2) {
                moments.get(0).toByteBuffer(true).asFloatBuffer().get(means, offsets[i], sizes[i]);
                moments.get(1).toByteBuffer(true).asFloatBuffer().get(variances, offsets[i], sizes[i]);
            } else if (preset != null) {
                // imported but not yet used: the moments still wait for the first update
                System.arraycopy(preset[0], 0, means, offsets[i], sizes[i]);
                System.arraycopy(preset[1], 0, variances, offsets[i], sizes[i]);
            }
        }
        return new State(optimizer.updates(), weights(), means, variances);
    }

    /** Takes over another replica's state; only into a replica that has not applied any update yet. */
    public void importState(State state) {
        ensureOpen();
        if (optimizer.updates() != 0) {
            throw new IllegalStateException("state can only be imported into a fresh replica");
        }
        if (state.weights().length != total || state.means().length != total || state.variances().length != total) {
            throw new IllegalArgumentException("state holds " + state.weights().length + " weights, model has "
                    + total);
        }
        loadWeights(state.weights());
        for (int i = 0; i < params.length; i++) {
            optimizer.preset(names[i], Arrays.copyOfRange(state.means(), offsets[i], offsets[i] + sizes[i]),
                    Arrays.copyOfRange(state.variances(), offsets[i], offsets[i] + sizes[i]), state.updates());
        }
    }

    /** Number of trainable scalars, the length of every gradient and weight vector. */
    public int parameterCount() {
        return total;
    }

    /** Parameter names in order, with the offset of each in the flattened vectors. */
    public Map<String, Integer> parameterOffsets() {
        LinkedHashMap<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            m.put(names[i], offsets[i]);
        }
        return Collections.unmodifiableMap(m);
    }

    public ModelSpec spec() {
        return spec;
    }

    public int vocab() {
        return vocab;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("trainer is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            optimizer.closeState();
            model.close();
            manager.close();
        }
    }

    /**
     * DJL's AdamW, remembering the moment arrays it creates. DJL detaches them from every manager, so without this
     * they would outlive the trainer in native memory; it also takes them out of any {@link NDScope} that happens to
     * be open at the first update, which would otherwise close them.
     */
    private static final class TrackedAdamW extends AdamW {

        private final Set<NDArray> state = Collections.newSetFromMap(new IdentityHashMap<>());
        /** Per parameter, the state arrays in the order AdamW creates them: first moment, then second moment. */
        private final Map<String, List<NDArray>> moments = new HashMap<>();
        /** Imported moments, installed when AdamW creates the arrays at the parameter's first update. */
        private final Map<String, float[][]> presets = new HashMap<>();
        private final Map<String, Integer> applied = new HashMap<>();

        TrackedAdamW(AdamW.Builder builder) {
            super(builder);
        }

        @Override
        public void update(String parameterId, NDArray weight, NDArray grad) {
            applied.merge(parameterId, 1, Integer::sum);
            super.update(parameterId, weight, grad);
        }

        @Override
        protected NDArray withDefaultState(Map<String, Map<Device, NDArray>> states, String key, Device device,
                Function<String, NDArray> defaultFunction) {
            List<NDArray> known = moments.computeIfAbsent(key, k -> new ArrayList<>());
            int which = known.size();
            float[][] preset = presets.get(key);
            Function<String, NDArray> create = preset == null || which >= preset.length ? defaultFunction : k -> {
                NDArray a = defaultFunction.apply(k);
                a.set(FloatBuffer.wrap(preset[which]));
                return a;
            };
            NDArray array = super.withDefaultState(states, key, device, create);
            if (state.add(array)) {
                NDScope.unregister(array);
                known.add(array);
            }
            return array;
        }

        /** Updates applied (the same for every parameter: each step updates all of them). */
        int updates() {
            return applied.values().stream().mapToInt(Integer::intValue).max().orElse(0);
        }

        float[][] preset(String parameterId) {
            return presets.get(parameterId);
        }

        List<NDArray> moments(String parameterId) {
            return moments.getOrDefault(parameterId, List.of());
        }

        void preset(String parameterId, float[] mean, float[] variance, int updates) {
            presets.put(parameterId, new float[][] {mean, variance});
            for (int i = 0; i < updates; i++) {
                updateCount(parameterId); // DJL's own count drives bias correction and the learning-rate schedule
            }
            applied.put(parameterId, updates);
        }

        void closeState() {
            state.forEach(NDArray::close);
            state.clear();
            moments.clear();
        }
    }
}
