package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.pytorch.jni.JniUtils;
import org.junit.jupiter.api.Test;

class DjlSetupTest {

    @Test
    void engineLoadsOfflineWithOneThreadEach() {
        DjlSetup.configureCpu();
        DjlSetup.configureCpu(); // idempotent
        assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
        String description = DjlSetup.engineDescription();
        System.out.println("engine: " + description);
        assertThat(description).startsWith("PyTorch 2.7.1").contains("cpu");
        assertThat(JniUtils.getNumThreads()).isEqualTo(1);
        assertThat(JniUtils.getNumInteropThreads()).isEqualTo(1);
    }
}
