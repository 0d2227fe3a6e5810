package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.PlanStage;
import io.crosstrain.testsupport.RandomCases;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TinyTransformerTest {

    @BeforeAll
    static void engine() {
        DjlSetup.configureCpu();
    }

    @Test
    void parameterCountMatchesTheContractFormula() {
        for (ModelSpec spec : List.of(ModelSpec.demo(), new ModelSpec(1, 32, 2, 16, 0),
                new ModelSpec(3, 48, 6, 40, 0), new ModelSpec(2, 64, 8, 128, 77))) {
            int vocab = spec.vocabSize() == 0 ? 66 : spec.vocabSize();
            try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                    TinyTransformer model = new TinyTransformer(manager, spec, vocab, 1L)) {
                assertThat(model.parameterCount()).as(spec.toString()).isEqualTo(spec.parameters(vocab));
                long sum = model.parameters().values().stream().mapToLong(NDArray::size).sum();
                assertThat(sum).isEqualTo(spec.parameters(vocab));
            }
        }
    }

    @Test
    void parametersComeInTheDocumentedOrder() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                TinyTransformer model = new TinyTransformer(manager, new ModelSpec(1, 16, 2, 8, 0), 10, 1L)) {
            assertThat(model.parameters().keySet()).containsExactly("tok_emb", "pos_emb", "h0.ln1.gamma",
                    "h0.ln1.beta", "h0.attn.qkv.weight", "h0.attn.qkv.bias", "h0.attn.proj.weight",
                    "h0.attn.proj.bias", "h0.ln2.gamma", "h0.ln2.beta", "h0.mlp.fc.weight", "h0.mlp.fc.bias",
                    "h0.mlp.proj.weight", "h0.mlp.proj.bias", "ln_f.gamma", "ln_f.beta", "head.weight", "head.bias");
            assertThat(model.parameters().values()).allSatisfy(p -> assertThat(p.hasGradient()).isTrue());
        }
    }

    @Test
    void parameterShapesNameEveryParameterOfTheBuiltModelInOrder() {
        for (ModelSpec spec : List.of(ModelSpec.demo(), new ModelSpec(3, 48, 6, 40, 0))) {
            Map<String, long[]> shapes = TinyTransformer.parameterShapes(spec, 66);
            try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                    TinyTransformer model = new TinyTransformer(manager, spec, 66, 1L)) {
                assertThat(shapes.keySet()).containsExactlyElementsOf(model.parameters().keySet());
                model.parameters().forEach((name, array) ->
                        assertThat(shapes.get(name)).as(name).isEqualTo(array.getShape().getShape()));
            }
            assertThat(shapes.values().stream().mapToLong(s -> Arrays.stream(s).reduce(1, (a, b) -> a * b)).sum())
                    .isEqualTo(spec.parameters(66));
        }
        assertThatThrownBy(() -> TinyTransformer.parameterShapes(new ModelSpec(2, 30, 4, 8, 0), 10))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void forwardMapsTokensToLogitsAndIsCausal() {
        ModelSpec spec = new ModelSpec(2, 32, 4, 16, 0);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                TinyTransformer model = new TinyTransformer(manager, spec, 20, 7L)) {
            int[] a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
            int[] b = a.clone();
            b[11] = 19; // change only the last position
            NDArray la = model.forward(manager.create(a, new Shape(2, 6)));
            NDArray lb = model.forward(manager.create(b, new Shape(2, 6)));
            assertThat(la.getShape()).isEqualTo(new Shape(2, 6, 20));
            float[] fa = la.toFloatArray();
            float[] fb = lb.toFloatArray();
            // earlier positions never see a later token: everything but the last position is unchanged
            for (int i = 0; i < 2 * 6 * 20 - 20; i++) {
                assertThat(fb[i]).isEqualTo(fa[i]);
            }
            boolean lastDiffers = false;
            for (int i = 2 * 6 * 20 - 20; i < fa.length; i++) {
                lastDiffers |= fa[i] != fb[i];
            }
            assertThat(lastDiffers).isTrue();
        }
    }

    /** A model of {@code blocks.length} stages, {@code batch × len} tokens through it. */
    record Split(int[] blocks, int batch, int len) {
        @Override
        public String toString() {
            return "blocks " + Arrays.toString(blocks) + ", tokens " + batch + " × " + len;
        }
    }

    @Test
    void stagesHoldTheirRangeOfTheWholeModelAndChainedComputeItsLogits() throws Exception {
        ModelSpec spec = new ModelSpec(4, 32, 4, 16, 0);
        int vocab = 20;
        List<Split> edges = List.of(new Split(new int[] {1, 3}, 2, 16), new Split(new int[] {3, 1}, 3, 16),
                new Split(new int[] {1, 2, 1}, 2, 16), new Split(new int[] {2, 1, 1}, 1, 5),
                new Split(new int[] {1, 1, 1, 1}, 2, 9), new Split(new int[] {4}, 2, 16));
        double[] worst = new double[1];
        try (NDManager manager = NDManager.newBaseManager(Device.cpu());
                TinyTransformer whole = new TinyTransformer(manager, spec, vocab, 5L)) {
            List<String> names = new ArrayList<>(whole.parameters().keySet());
            RandomCases.check(edges, 8, r -> {
                int stages = RandomCases.between(r, 2, spec.layers());
                int[] blocks = new int[stages];
                Arrays.fill(blocks, 1);
                for (int extra = spec.layers() - stages; extra > 0; extra--) {
                    blocks[r.nextInt(stages)]++;
                }
                return new Split(blocks, RandomCases.between(r, 1, 3), RandomCases.between(r, 1, spec.seqLen()));
            }, split -> {
                int[] tokens = new int[split.batch() * split.len()];
                for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = (i * 7 + split.len()) % vocab;
                }
                try (NDManager m = manager.newSubManager()) {
                    float[] expected = whole.forward(m.create(tokens, new Shape(split.batch(), split.len())))
                            .toFloatArray();
                    NDArray x = m.create(tokens, new Shape(split.batch(), split.len()));
                    int first = 0;
                    for (int b : split.blocks()) {
                        StageRange range = StageRange.of(spec, first, first + b - 1);
                        try (TinyTransformer stage = new TinyTransformer(m, spec, vocab, 5L, range)) {
                            // its parameters: one contiguous run of the whole model's, equal values
                            List<String> own = new ArrayList<>(stage.parameters().keySet());
                            int at = names.indexOf(own.get(0));
                            assertThat(own).isEqualTo(names.subList(at, at + own.size()));
                            long offset = 0;
                            for (String name : names.subList(0, at)) {
                                offset += whole.parameters().get(name).size();
                            }
                            assertThat(range.parameterOffset(spec, vocab)).isEqualTo(offset);
                            assertThat(stage.parameterCount()).isEqualTo(range.parameterCount(spec, vocab));
                            for (Map.Entry<String, NDArray> p : stage.parameters().entrySet()) {
                                assertThat(p.getValue().toFloatArray()).as(p.getKey())
                                        .isEqualTo(whole.parameters().get(p.getKey()).toFloatArray());
                            }
                            x = stage.forward(x);
                            long width = range.last() ? vocab : spec.dModel();
                            assertThat(x.getShape()).isEqualTo(new Shape(split.batch(), split.len(), width));
                        }
                        first += b;
                    }
                    float[] actual = x.toFloatArray();
                    double maxDiff = 0;
                    double maxLogit = 0;
                    for (int i = 0; i < expected.length; i++) {
                        maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
                        maxLogit = Math.max(maxLogit, Math.abs(expected[i]));
                    }
                    worst[0] = Math.max(worst[0], maxDiff);
                    assertThat(maxDiff).isLessThanOrEqualTo(1e-5 * maxLogit);
                }
            });
        }
        System.out.printf("chained stages vs whole model: largest logit difference %.3g%n", worst[0]);
    }

    @Test
    void aPlanStageIsCheckedAgainstTheModel() {
        ModelSpec spec = new ModelSpec(4, 32, 4, 16, 0);
        int vocab = 66;
        long d = 32;
        // the planner's formula: (vocab + seqLen)·d + b·(12d² + 13d) for a stage starting at block b > 0
        long offset = (vocab + 16) * d + 2 * (12 * d * d + 13 * d);
        long count = 2 * (12 * d * d + 13 * d) + 2 * d + d * vocab + vocab;
        assertThat(StageRange.of(spec, vocab, stage(1, 2, 2, 3, offset, count)))
                .isEqualTo(StageRange.of(spec, 2, 3));
        assertThat(StageRange.of(spec, vocab, stage(0, 2, 0, 1, null, null)).parameterOffset(spec, vocab)).isZero();
        assertThat(StageRange.whole(spec).parameterCount(spec, vocab)).isEqualTo(spec.parameters(vocab));
        assertThatThrownBy(() -> StageRange.of(spec, vocab, stage(1, 2, 2, 3, offset + 1, count)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("parameter");
        assertThatThrownBy(() -> StageRange.of(spec, vocab, stage(1, 2, 2, 3, offset, count - 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StageRange.of(spec, vocab, stage(1, 3, 2, 3, null, null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("last");
        assertThatThrownBy(() -> StageRange.of(spec, 1, 4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StageRange.of(spec, 2, 1)).isInstanceOf(IllegalArgumentException.class);
    }

    private static PlanStage stage(int index, int stages, int first, int last, Long offset, Long count) {
        return new PlanStage(index, stages, first, last, offset, count, null, null, 2, 0, 0, 0, 0, 0);
    }

    @Test
    void initialisationDependsOnlyOnSeedAndName() {
        ModelSpec spec = new ModelSpec(1, 16, 2, 8, 0);
        try (NDManager m1 = NDManager.newBaseManager(Device.cpu());
                NDManager m2 = NDManager.newBaseManager(Device.cpu());
                TinyTransformer a = new TinyTransformer(m1, spec, 12, 99L);
                TinyTransformer b = new TinyTransformer(m2, spec, 12, 99L);
                TinyTransformer c = new TinyTransformer(m2, spec, 12, 100L)) {
            for (String name : a.parameters().keySet()) {
                assertThat(b.parameters().get(name).toFloatArray()).as(name)
                        .isEqualTo(a.parameters().get(name).toFloatArray());
            }
            assertThat(c.parameters().get("h0.attn.qkv.weight").toFloatArray())
                    .isNotEqualTo(a.parameters().get("h0.attn.qkv.weight").toFloatArray());
            // the two projections feeding the residual stream start smaller
            double qkvStd = std(a.parameters().get("h0.attn.qkv.weight").toFloatArray());
            double projStd = std(a.parameters().get("h0.mlp.proj.weight").toFloatArray());
            assertThat(qkvStd).isBetween(0.017, 0.023);
            assertThat(projStd).isBetween(0.012, 0.017);
        }
    }

    @Test
    void rejectsInconsistentSpecs() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            assertThatThrownBy(() -> new TinyTransformer(manager, new ModelSpec(1, 30, 4, 8, 0), 10, 1L))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("divisible");
            assertThatThrownBy(() -> new TinyTransformer(manager, new ModelSpec(1, 32, 4, 8, 50), 10, 1L))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vocabSize");
        }
    }

    private static double std(float[] v) {
        double mean = 0;
        for (float x : v) {
            mean += x;
        }
        mean /= v.length;
        double var = 0;
        for (float x : v) {
            var += (x - mean) * (x - mean);
        }
        return Math.sqrt(var / v.length);
    }
}
