package io.crosstrain.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.crosstrain.contracts.ModelSpec;
import org.junit.jupiter.api.Test;

class ModelProfileTest {

    @Test
    void aParameterCountGivesSixNdFlopsAndSixteenBytesPerParameter() {
        ModelProfile m = ModelProfile.ofParameters(1000, 2048);

        assertThat(m.parameters()).isEqualTo(1_000_000_000L);
        assertThat(m.flopsPerSample()).isEqualTo(6.0 * 1e9 * 2048);
        assertThat(m.fixedMemoryBytes()).isEqualTo(16e9);
        // 17 layers of width ≈ 2,214: 17·2048·34·2214 + 2048·(2·2214) + 2048·(2·2214 + 6·32000) ≈ 3.03 GB of
        // activations per 2,048-token sample
        assertThat(m.activationBytesPerSample()).isCloseTo(3.0322e9, within(1e6));
        assertThat(m.bytesPerSample()).isEqualTo(2 * m.activationBytesPerSample());
        // an A100-80G then holds 18 samples: (72 − 16) GB / 3.03 GB
        assertThat(CostModel.memoryCap(ChipCatalogue.defaults().get("A100-80G"), m)).isEqualTo(18);
    }

    @Test
    void theEstimateIsCloseToTheShapedProfileOfASimilarModel() {
        // a GPT-2-medium-like shape: 24 layers, d 1024, 16 heads, 1024 tokens, vocabulary 32,000
        ModelProfile shaped = ModelProfile.of(new ModelSpec(24, 1024, 16, 1024, 32_000), 0);
        ModelProfile estimated = ModelProfile.ofParameters(shaped.parameters() / 1e6, 1024);

        assertThat(estimated.parameters()).isEqualTo(shaped.parameters());
        assertThat(estimated.flopsPerSample() / shaped.flopsPerSample()).isBetween(0.85, 1.0);
        assertThat(estimated.activationBytesPerSample() / shaped.activationBytesPerSample()).isBetween(0.5, 2.0);
    }

    @Test
    void tinyModelsStillHaveOneLayer() {
        ModelProfile m = ModelProfile.ofParameters(0.01, 16);

        assertThat(m.parameters()).isEqualTo(10_000);
        assertThat(m.activationBytesPerSample()).isPositive();
    }

    @Test
    void nonsenseIsRejected() {
        assertThatThrownBy(() -> ModelProfile.ofParameters(0, 16)).hasMessageContaining("parametersMillions");
        assertThatThrownBy(() -> ModelProfile.ofParameters(Double.NaN, 16)).hasMessageContaining("parametersMillions");
        assertThatThrownBy(() -> ModelProfile.ofParameters(1, 0)).hasMessageContaining("tokensPerSample");
        assertThatThrownBy(() -> ModelProfile.ofParameters(1e-9, 16)).hasMessageContaining("out of range");
    }
}
