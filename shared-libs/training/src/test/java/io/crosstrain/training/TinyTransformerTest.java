package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.crosstrain.contracts.ModelSpec;
import java.util.List;
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
