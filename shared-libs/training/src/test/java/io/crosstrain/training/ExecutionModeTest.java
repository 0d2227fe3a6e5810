package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import org.junit.jupiter.api.Test;

class ExecutionModeTest {

    @Test
    void theLabelFollowsTheDeviceTheMathRanOn() {
        assertThat(ExecutionMode.of(Device.cpu())).isEqualTo(Plan.EMULATED);
        assertThat(ExecutionMode.of(Device.gpu(0))).isEqualTo(Plan.MEASURED);
        Corpus corpus = Corpus.bundled("grammar-en");
        try (DeviceTrainer trainer = new DeviceTrainer(new ModelSpec(1, 16, 2, 8, 0), corpus.vocabSize(), 1, 1e-3)) {
            // a trainer computes where its tensors live; whatever GPUs the host has, that is the CPU here
            assertThat(trainer.device()).isEqualTo(ExecutionMode.COMPUTE_DEVICE);
            assertThat(ExecutionMode.of(trainer.device())).isEqualTo(ExecutionMode.current())
                    .isEqualTo(Plan.EMULATED);
        }
    }
}
