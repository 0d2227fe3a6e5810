package io.crosstrain.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.OptimizerSpec;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One pipeline stage of one emulated device's model replica (docs/architecture.md §11): its own {@link NDManager},
 * the stage's part of a {@link TinyTransformer} ({@link StageRange}) and DJL's AdamW for its parameters. Every flat
 * vector it takes or gives (gradients, weights, optimizer state) is the stage's contiguous range of the whole model's
 * flat vector, starting at {@link #parameterOffset()}. The whole model is the stage that is both first and last; a
 * {@link DeviceTrainer} is that stage with the whole-batch conveniences on top.
 *
 * <p><b>A step</b> under 1F1B: {@link #beginStep()} zeroes the accumulated gradients; each micro-batch then runs
 * {@code forward} (the first stage from its tokens, the others from the previous stage's activations) and later
 * {@code backward} (the last stage from its loss, the others from the gradient of their output that the next stage
 * returns), backwards in the order of the forwards, with several micro-batches in flight in between. A micro-batch's
 * graph lives in a sub-manager of its own from its forward until its backward, which closes it. Parameter gradients
 * accumulate over the step's micro-batches; the last stage seeds each backward with the micro-batch's sample count, so
 * after the step {@link #exportGradient} holds the sum over the step's samples of each sample's mean-token-loss
 * gradient (the scale of {@link DeviceTrainer#forwardBackwardInto}: the batch mean gradient × the batch size). A relay
 * sums these over replicas and divides by the global batch; {@link #applyUpdate} applies the stage's range of that
 * average.
 *
 * <p>The inner optimizer is DJL's AdamW (Adam with decoupled weight decay, the inner optimizer of ARCHITECTURE.md
 * §4; with {@code weightDecay = 0} it is plain Adam), called standalone through
 * {@code Optimizer.update(name, weight, gradient)}. Settings: β1 = 0.9, β2 = {@value #BETA2} (the usual choice when a
 * step sees few tokens), ε = 1e-8, and the learning rate ramps up linearly over the first {@code warmupSteps}
 * updates (default {@value #DEFAULT_WARMUP_STEPS}), which keeps the first steps of a fresh model from spiking. AdamW
 * is elementwise, so a stage's update is the whole model's update restricted to the stage's range. Everything runs on
 * the CPU with one thread, so the same inputs give the same bits: two trainers with the same seed fed the same
 * averaged gradients hold identical weights. DiLoCo's outer step ({@link OuterOptimizer}) is elementwise as well and
 * takes the stage's range as it is.
 *
 * <p>Not thread-safe: one trainer belongs to one worker thread at a time. Trainers on different threads of one JVM
 * run fully in parallel: gradients go straight through libtorch with grad mode switched on, for the calling thread
 * only and for the duration of each call, as DJL's own gradient collector allows just one collector per JVM.
 */
public sealed class StageTrainer implements AutoCloseable permits DeviceTrainer {

    /** AdamW's default decoupled weight decay here. */
    public static final double DEFAULT_WEIGHT_DECAY = OptimizerSpec.DEFAULT_WEIGHT_DECAY;
    /** Default number of optimizer steps over which the learning rate ramps up linearly. */
    public static final int DEFAULT_WARMUP_STEPS = OptimizerSpec.DEFAULT_WARMUP_STEPS;
    /** Adam's second-moment decay. */
    public static final float BETA2 = 0.99f;

    /**
     * A (micro-)batch of {@code batchSize} windows of {@code seqLen} tokens, row-major; {@code targets} are the inputs
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

        /** Samples {@code [from, from + samples)} of this batch. */
        public Batch slice(int from, int samples) {
            if (from < 0 || samples <= 0 || from + samples > batchSize) {
                throw new IllegalArgumentException("samples [" + from + ", " + (from + samples) + ") outside a batch of "
                        + batchSize);
            }
            int a = from * seqLen;
            int b = (from + samples) * seqLen;
            return new Batch(Arrays.copyOfRange(inputs, a, b), Arrays.copyOfRange(targets, a, b), samples, seqLen);
        }

        /**
         * The batch cut into {@code count} consecutive micro-batches whose sizes differ by one at most, the larger
         * first (so the largest holds {@code ⌈batchSize / count⌉} samples, the planner's {@code m_x}).
         */
        public List<Batch> split(int count) {
            if (count <= 0 || count > batchSize) {
                throw new IllegalArgumentException("cannot cut a batch of " + batchSize + " into " + count
                        + " micro-batches");
            }
            List<Batch> parts = new ArrayList<>(count);
            int from = 0;
            for (int i = 0; i < count; i++) {
                int size = batchSize / count + (i < batchSize % count ? 1 : 0);
                parts.add(slice(from, size));
                from += size;
            }
            return List.copyOf(parts);
        }

        @Override
        public String toString() {
            return "Batch[" + batchSize + " × " + seqLen + " tokens]";
        }
    }

    /**
     * Everything a replica's (or a stage's) future depends on besides the data: its weights, AdamW's first and second
     * moment estimates (flat order, like the weights) and how many updates it applied (the bias correction and the
     * learning-rate warm-up follow it). A trainer that imports it continues bit for bit like the one exported.
     */
    public record State(int updates, float[] weights, float[] means, float[] variances) {
    }

    /**
     * What a stage's forward of a micro-batch hands on.
     *
     * @param activations the output activations {@code [m, L, d]} (row-major) for the next stage; null on the last
     * @param loss        the micro-batch's mean next-token cross-entropy on the last stage; NaN on the others
     */
    public record Output(float[] activations, double loss) {
    }

    /** A micro-batch between its forward and its backward: its arrays and what backward starts from. */
    private record InFlight(NDManager arrays, NDArray input, NDArray root, int samples, int seqLen) {
    }

    final ModelSpec spec;
    final int vocab;
    final StageRange stage;
    final NDManager manager;
    final TinyTransformer model;
    final FlatParameters params;
    final InnerOptimizer optimizer;
    private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    private boolean closed;

    /** A stage with the default weight decay and warm-up. */
    public StageTrainer(ModelSpec spec, int vocab, long seed, double learningRate, StageRange stage) {
        this(spec, vocab, seed, learningRate, DEFAULT_WEIGHT_DECAY, DEFAULT_WARMUP_STEPS, stage);
    }

    /**
     * @param seed         initial weights (see {@link TinyTransformer}); equal seeds give bit-identical replicas, and
     *                     a stage's weights equal the whole model's range
     * @param learningRate peak learning rate of AdamW
     * @param weightDecay  decoupled weight decay (0 = Adam)
     * @param warmupSteps  optimizer steps of linear learning-rate ramp-up (0 or 1 = none)
     * @param stage        the blocks this trainer holds; {@link StageRange#whole} for a whole replica
     */
    public StageTrainer(ModelSpec spec, int vocab, long seed, double learningRate, double weightDecay,
            int warmupSteps, StageRange stage) {
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
        if (stage.layers() != spec.layers()) {
            throw new IllegalArgumentException("stage " + stage + " does not belong to " + spec);
        }
        DjlSetup.configureCpu();
        this.spec = spec;
        this.vocab = vocab;
        this.stage = stage;
        this.manager = NDManager.newBaseManager(ExecutionMode.COMPUTE_DEVICE, "PyTorch");
        this.model = new TinyTransformer(manager, spec, vocab, seed, stage);
        this.params = new FlatParameters(model.parameters());
        this.optimizer = new InnerOptimizer(manager, params, learningRate, weightDecay, warmupSteps);
    }

    // ---- micro-batch passes (1F1B) -------------------------------------------------------------------------------

    /** Starts a step: zeroes the accumulated parameter gradients. No micro-batch may be in flight. */
    public void beginStep() {
        ensureOpen();
        requireIdle("begin a step");
        params.zeroGradients();
    }

    /**
     * First stage: the forward pass of a micro-batch from its tokens. The graph is kept until its {@link #backward}.
     * On a stage that is also the last, the micro-batch's targets give its loss.
     */
    public Output forward(Batch micro) {
        ensureOpen();
        if (!stage.first()) {
            throw new IllegalStateException("stage " + stage + " starts from the previous stage's activations");
        }
        checkBatch(micro, true, stage.last());
        return forwardPass(micro, null);
    }

    /**
     * Later stages: the forward pass of a micro-batch from the previous stage's output activations. The graph is kept
     * until its backward.
     *
     * @param micro       the micro-batch: its sample count and length, and on the last stage its targets (its
     *                    inputs are not read)
     * @param activations the previous stage's {@link Output#activations()}, {@code [m, L, d]} row-major
     */
    public Output forward(Batch micro, float[] activations) {
        ensureOpen();
        if (stage.first()) {
            throw new IllegalStateException("the first stage starts from tokens, not activations");
        }
        checkBatch(micro, false, stage.last());
        int expected = activationSize(micro.batchSize(), micro.seqLen());
        if (activations.length != expected) {
            throw new IllegalArgumentException("activations of " + micro + " hold " + expected + " floats, got "
                    + activations.length);
        }
        return forwardPass(micro, activations);
    }

    /**
     * Last stage: the backward pass of the oldest micro-batch in flight from its loss, seeded with its sample count;
     * adds to the parameter gradients and releases the micro-batch's arrays.
     *
     * @return the gradient of the stage's input activations for the previous stage; null on the first stage
     */
    public float[] backward() {
        ensureOpen();
        if (!stage.last()) {
            throw new IllegalStateException("stage " + stage + " backpropagates the gradient of its output");
        }
        return backwardPass(null);
    }

    /**
     * Stages before the last: the backward pass (a vector-Jacobian product) of the oldest micro-batch in flight from
     * the gradient of its output activations, as the next stage's backward returned it; adds to the parameter
     * gradients and releases the micro-batch's arrays.
     *
     * @return the gradient of the stage's input activations for the previous stage; null on the first stage
     */
    public float[] backward(float[] outputGradient) {
        ensureOpen();
        if (stage.last()) {
            throw new IllegalStateException("the last stage backpropagates from its loss");
        }
        return backwardPass(outputGradient);
    }

    /** Micro-batches forwarded whose backward has not run yet. */
    public int inFlight() {
        return inFlight.size();
    }

    /**
     * Copies the parameter gradients accumulated since {@link #beginStep()} (the stage's range, no further scaling)
     * into {@code out} (length {@link #parameterCount()}). No micro-batch may be in flight.
     */
    public void exportGradient(float[] out) {
        ensureOpen();
        requireIdle("export the gradient");
        params.gradientsInto(out, 1f);
    }

    /** Drops every micro-batch in flight and the gradients accumulated so far (a step that will not finish). */
    public void abortStep() {
        ensureOpen();
        while (!inFlight.isEmpty()) {
            inFlight.removeFirst().arrays().close();
        }
        params.zeroGradients();
    }

    private Output forwardPass(Batch micro, float[] activations) {
        int m = micro.batchSize();
        int len = micro.seqLen();
        NDManager arrays = manager.newSubManager();
        try {
            return withGradMode(true, () -> {
                // the scope releases the Java handles of everything but the input and what backward starts from;
                // the graph keeps the tensors it needs in libtorch
                try (NDScope scope = new NDScope()) {
                    NDArray input = activations == null ? tokens(arrays, micro.inputs(), m, len)
                            : owned(arrays, activations, new Shape(m, len, spec.dModel()));
                    if (activations != null) {
                        input.setRequiresGradient(true);
                    }
                    NDArray out = model.forward(input);
                    NDArray root = stage.last() ? meanCrossEntropy(out, micro.targets(), m, len) : out;
                    Output result = stage.last() ? new Output(null, root.getFloat())
                            : new Output(out.toFloatArray(), Double.NaN);
                    NDScope.unregister(input, root);
                    inFlight.addLast(new InFlight(arrays, activations == null ? null : input, root, m, len));
                    return result;
                }
            });
        } catch (RuntimeException | Error e) {
            arrays.close();
            throw e;
        }
    }

    private float[] backwardPass(float[] outputGradient) {
        InFlight f = inFlight.peekFirst();
        if (f == null) {
            throw new IllegalStateException("no micro-batch in flight");
        }
        if (outputGradient != null && outputGradient.length != activationSize(f.samples(), f.seqLen())) {
            throw new IllegalArgumentException("the output gradient of the oldest micro-batch in flight holds "
                    + activationSize(f.samples(), f.seqLen()) + " floats, got " + outputGradient.length);
        }
        inFlight.removeFirst();
        try (NDManager arrays = f.arrays(); NDScope scope = new NDScope()) {
            NDArray seed = outputGradient == null ? arrays.full(new Shape(), (float) f.samples())
                    : owned(arrays, outputGradient, f.root().getShape());
            backward(f.root(), seed);
            return f.input() == null ? null : f.input().getGradient().toFloatArray();
        }
    }

    private int activationSize(int samples, int seqLen) {
        return Math.multiplyExact(Math.multiplyExact(samples, seqLen), spec.dModel());
    }

    // ---- shared tensor helpers ------------------------------------------------------------------------------------

    /** Token ids {@code [m, len]} as int64 in libtorch-owned memory (the int32 staging array wraps a Java buffer). */
    static NDArray tokens(NDManager arrays, int[] ids, int m, int len) {
        return arrays.create(ids, new Shape(m, len)).toType(DataType.INT64, false);
    }

    /** {@code values} in libtorch-owned memory: autograd may keep it, and must not depend on a Java buffer. */
    static NDArray owned(NDManager arrays, float[] values, Shape shape) {
        try (NDArray staging = arrays.create(values, shape)) {
            return staging.duplicate();
        }
    }

    /** Mean next-token cross-entropy over the {@code m·len} tokens, a scalar in the logits' graph. */
    static NDArray meanCrossEntropy(NDArray logits, int[] targets, int m, int len) {
        NDArray ids = logits.getManager().create(targets, new Shape(m, len, 1)).toType(DataType.INT64, false);
        return logits.logSoftmax(-1).gather(ids, 2).mean().neg();
    }

    /** Backpropagates {@code seed} (the gradient of {@code root}) through libtorch on the calling thread. */
    static void backward(NDArray root, NDArray seed) {
        // DJL's GradientCollector allows one per JVM; libtorch's grad mode is per thread, so each device thread
        // switches it on for itself and runs backward on its own graph: devices of a node compute in parallel.
        withGradMode(true, () -> {
            JniUtils.backward((PtNDArray) root, (PtNDArray) seed, false, false);
            return null;
        });
    }

    /** Runs {@code body} with libtorch's per-thread grad mode set, restoring what the caller had. */
    static <T> T withGradMode(boolean on, Supplier<T> body) {
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(on);
        try {
            return body.get();
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    void checkBatch(Batch batch, boolean inputs, boolean targets) {
        if (batch.seqLen() > spec.seqLen()) {
            throw new IllegalArgumentException("batch seqLen " + batch.seqLen() + " exceeds the model's "
                    + spec.seqLen());
        }
        if (inputs) {
            for (int t : batch.inputs()) {
                checkToken(t);
            }
        }
        if (targets) {
            for (int t : batch.targets()) {
                checkToken(t);
            }
        }
    }

    private void checkToken(int t) {
        if (t < 0 || t >= vocab) {
            throw new IllegalArgumentException("token " + t + " outside vocabulary of " + vocab);
        }
    }

    void requireIdle(String what) {
        if (!inFlight.isEmpty()) {
            throw new IllegalStateException("cannot " + what + " with " + inFlight.size()
                    + " micro-batch(es) in flight");
        }
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("trainer is closed");
        }
    }

    // ---- update, weights, state (the stage's range) --------------------------------------------------------------

    /**
     * Applies one optimizer step with the global mean gradient of the stage's range (length
     * {@link #parameterCount()}). Deterministic: equal weights and equal gradients give equal weights.
     */
    public void applyUpdate(float[] averagedGradient) {
        ensureOpen();
        requireIdle("update the weights");
        optimizer.apply(averagedGradient);
    }

    /** SHA-256 (hex) of the stage's float32 weights, little-endian, in parameter order. */
    public String weightsHash() {
        ensureOpen();
        return params.sha256();
    }

    /** A copy of the stage's weights, flattened in parameter order. */
    public float[] weights() {
        ensureOpen();
        return params.weights();
    }

    /** Overwrites the stage's weights (parameter order). The optimizer's moment estimates are kept. */
    public void loadWeights(float[] w) {
        ensureOpen();
        requireIdle("load weights");
        params.loadWeights(w);
    }

    public State exportState() {
        ensureOpen();
        float[] means = new float[params.total()];
        float[] variances = new float[params.total()];
        optimizer.momentsInto(means, variances);
        return new State(optimizer.updates(), params.weights(), means, variances);
    }

    /** Takes over another trainer's state of the same range; only into a trainer that has not applied any update. */
    public void importState(State state) {
        ensureOpen();
        requireIdle("import a state");
        if (optimizer.updates() != 0) {
            throw new IllegalStateException("state can only be imported into a fresh replica");
        }
        params.requireLength(state.means(), "state's means");
        params.requireLength(state.variances(), "state's variances");
        params.loadWeights(state.weights());
        optimizer.importMoments(state.means(), state.variances(), state.updates());
    }

    /** Number of trainable scalars of the stage, the length of every gradient and weight vector it takes or gives. */
    public int parameterCount() {
        return params.total();
    }

    /** Where the stage's range starts in the whole model's flat vector (0 for the first stage). */
    public long parameterOffset() {
        return stage.parameterOffset(spec, vocab);
    }

    /** The stage's parameter names in order, with the offset of each in the stage's flat vectors. */
    public Map<String, Integer> parameterOffsets() {
        return params.offsets();
    }

    public StageRange stage() {
        return stage;
    }

    public ModelSpec spec() {
        return spec;
    }

    public int vocab() {
        return vocab;
    }

    /** The device this replica's tensors live on and its math runs on. */
    public Device device() {
        return manager.getDevice();
    }

    /** Releases the model, the optimizer state and every micro-batch still in flight. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            inFlight.forEach(f -> f.arrays().close());
            inFlight.clear();
            optimizer.close();
            model.close();
            manager.close();
        }
    }
}
