package io.crosstrain.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;

import org.junit.jupiter.api.Test;

class CheckpointKeysTest {

    private static final UUID JOB = UUID.fromString("00000000-0000-0000-0000-00000000abcd");

    @Test
    void layout() {
        assertThat(CheckpointKeys.jobPrefix(JOB)).isEqualTo("jobs/00000000-0000-0000-0000-00000000abcd/");
        assertThat(CheckpointKeys.stepPrefix(JOB, 50))
                .isEqualTo("jobs/00000000-0000-0000-0000-00000000abcd/step-0000000050/");
        assertThat(CheckpointKeys.shard(JOB, 50, 4096, 1024))
                .isEqualTo("jobs/00000000-0000-0000-0000-00000000abcd/step-0000000050/shard-4096-1024.bin");
        assertThat(CheckpointKeys.manifest(JOB, 50))
                .isEqualTo("jobs/00000000-0000-0000-0000-00000000abcd/step-0000000050/manifest.json");
    }

    @Test
    void parsesTheStepBack() {
        assertThat(CheckpointKeys.manifestStep(CheckpointKeys.manifest(JOB, 1_234_567))).hasValue(1_234_567);
        assertThat(CheckpointKeys.manifestStep(CheckpointKeys.manifest(JOB, 0))).hasValue(0);
        assertThat(CheckpointKeys.manifestStep(CheckpointKeys.manifest(JOB, 12_345_678_901L)))
                .hasValue(12_345_678_901L);
        assertThat(CheckpointKeys.manifestStep(CheckpointKeys.shard(JOB, 7, 0, 1))).isEmpty();
        assertThat(CheckpointKeys.stepOf(CheckpointKeys.shard(JOB, 7, 0, 1))).hasValue(7);
        assertThat(CheckpointKeys.manifestStep("jobs/x/manifest.json")).isEmpty();
        assertThat(CheckpointKeys.manifestStep("jobs/x/step-00a/manifest.json")).isEmpty();
        assertThat(CheckpointKeys.stepOf("jobs/x/step-99999999999999999999/manifest.json")).isEmpty();
        assertThat(CheckpointKeys.manifestStep(null)).isEmpty();
    }

    @Test
    void stepsSortLikeNumbersUpToTenDigits() {
        assertThat(CheckpointKeys.manifest(JOB, 9)).isLessThan(CheckpointKeys.manifest(JOB, 10));
        assertThat(CheckpointKeys.manifest(JOB, 999_999_999)).isLessThan(CheckpointKeys.manifest(JOB, 1_000_000_000));
    }

    @Test
    void rejectsNegativeSteps() {
        assertThatThrownBy(() -> CheckpointKeys.stepPrefix(JOB, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CheckpointKeys.jobPrefix(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
