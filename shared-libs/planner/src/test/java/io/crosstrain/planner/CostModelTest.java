package io.crosstrain.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.crosstrain.contracts.ModelSpec;
import org.junit.jupiter.api.Test;

class CostModelTest {

    private final ChipSpec chip = new ChipSpec("test", 100, 10, 1.0, false, "test");

    @Test
    void rooflineIsComputeBoundForDenseWork() {
        // 1e12 FLOPs at 100e12 · 0.4 FLOP/s = 0.025 s; 1e9 bytes at 1e12 B/s = 0.001 s
        ModelProfile m = new ModelProfile(1, 1e12, 1e9, 0, 0);
        assertThat(CostModel.rooflineSamplesPerSec(chip, m)).isCloseTo(40.0, within(1e-9));
    }

    @Test
    void rooflineIsMemoryBoundForTrafficHeavyWork() {
        // 1e9 FLOPs take 2.5e-5 s; 1e9 bytes take 1e-3 s
        ModelProfile m = new ModelProfile(1, 1e9, 1e9, 0, 0);
        assertThat(CostModel.rooflineSamplesPerSec(chip, m)).isCloseTo(1000.0, within(1e-9));
    }

    @Test
    void memoryCapIsTheLargestMicroBatchThatFits() {
        // usable 0.9 · 10e9 = 9e9; 1e9 fixed leaves 8e9 for 3e8-byte samples: 26 fit, 27 do not
        ModelProfile m = new ModelProfile(1, 1, 0, 1e9, 3e8);
        int cap = CostModel.memoryCap(chip, m);
        assertThat(cap).isEqualTo(26);
        double usable = chip.memoryBytes() * CostModel.USABLE_MEMORY_FRACTION;
        assertThat(m.fixedMemoryBytes() + cap * m.activationBytesPerSample()).isLessThanOrEqualTo(usable);
        assertThat(m.fixedMemoryBytes() + (cap + 1) * m.activationBytesPerSample()).isGreaterThan(usable);
    }

    @Test
    void memoryCapIsZeroWhenTheWeightsDoNotFitAndBoundedForTinyModels() {
        ModelProfile tooBig = new ModelProfile(1_000_000_000L, 1, 0, 16e9, 1);
        assertThat(CostModel.memoryCap(chip, tooBig)).isZero();
        ModelProfile tiny = new ModelProfile(1, 1, 0, 0, 1);
        assertThat(CostModel.memoryCap(chip, tiny)).isEqualTo(CostModel.MAX_MICRO_BATCH);
        // a 7B-parameter model in mixed precision (112 GB of state) fits neither a T4 nor an H100
        ModelProfile sevenB = ModelProfile.of(new ModelSpec(32, 4096, 32, 2048, 32000), 0);
        assertThat(CostModel.memoryCap(ChipCatalogue.defaults().get("H100"), sevenB)).isZero();
        assertThat(CostModel.memoryCap(ChipCatalogue.defaults().get("MI300X"), sevenB)).isPositive();
    }

    @Test
    void demoModelIsComputeBoundOnTheSection10Chips() {
        ModelProfile demo = ModelProfile.of(ModelSpec.demo(), 40);
        for (String name : new String[] {"A100-80G", "H20", "Ascend-910B"}) {
            ChipSpec c = ChipCatalogue.defaults().get(name);
            double computeBound = c.peakFlops() * CostModel.REFERENCE_UTILISATION / demo.flopsPerSample();
            assertThat(CostModel.rooflineSamplesPerSec(c, demo)).as(name).isCloseTo(computeBound, within(1e-9 * computeBound));
            assertThat(c.memBandwidthBytesPerSec() / demo.bytesPerSample()).as(name).isGreaterThan(computeBound);
        }
    }

    @Test
    void modelProfileFollowsTheSpec() {
        ModelSpec spec = ModelSpec.demo();
        ModelProfile m = ModelProfile.of(spec, 40);

        assertThat(m.parameters()).isEqualTo(spec.parameters(40));
        assertThat(m.flopsPerSample()).isEqualTo(spec.flopsPerSample(40));
        assertThat(m.fixedMemoryBytes()).isEqualTo(16.0 * spec.parameters(40));
        // 2 layers · 64 tokens · 34·96 + 64 · (4·96 + 6·40): no attention scores kept (fused attention)
        assertThat(m.activationBytesPerSample()).isEqualTo(2 * 64 * (34 * 96) + 64 * (4 * 96 + 6 * 40));
        assertThat(m.bytesPerSample()).isEqualTo(2 * m.activationBytesPerSample());
        assertThat(ModelProfile.of(new ModelSpec(2, 96, 4, 64, 40), 0)).isEqualTo(m);
        assertThatThrownBy(() -> ModelProfile.of(spec, 0)).hasMessageContaining("vocabulary size unknown");
    }
}
