package io.crosstrain.worker.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.SyncSpec;
import io.crosstrain.training.Corpus;
import io.crosstrain.training.StageTrainer;

/** A device's step path on real DJL: what a redone DiLoCo round needs from it. */
class DeviceStepPathTest {

    private static final Corpus CORPUS = Corpus.of("The quick brown fox jumps over the lazy dog. ".repeat(200));

    @Test
    void anInnerStepTakenBackLeavesAPathThatRedoesItBitForBit() {
        PlanDevice device = new PlanDevice("d", "n", "a", "A100-80G", 0, 4, 1, 100.0, 0.0);
        Plan plan = new Plan(UUID.randomUUID(), 1, "diloco", "balanced", Plan.MEASURED, null,
                new ModelSpec(2, 16, 2, 16, 0), DatasetSpec.bundled(), 6, 4, 0.01, 7, 2, List.of("a"),
                List.of(device), null, 1, "first plan", false, new SyncSpec(3, "fp32", 0.7, 0.5), List.of());
        DeviceStepPath path = new DeviceStepPath(plan, device, CORPUS.tokens(), CORPUS.vocabSize());
        path.outer();
        path.compute(1);
        path.apply(path.gradient().clone());
        StageTrainer.State before = path.trainer().exportState();
        String hashBefore = path.weightsHash();
        int samplesBefore = path.samplesSinceOuter();

        path.compute(2);
        float[] update = path.gradient().clone();
        path.apply(update);
        String hashAfter = path.weightsHash();
        assertThat(hashAfter).isNotEqualTo(hashBefore);

        // a used trainer cannot take a state back: the path comes back fresh, with the state before step 2
        DeviceStepPath redo = path.withoutInnerStep(before);
        assertThat(redo.weightsHash()).isEqualTo(hashBefore);
        assertThat(redo.samplesSinceOuter()).isEqualTo(samplesBefore);
        assertThat(redo.outerState().steps()).isEqualTo(0);
        redo.compute(2);
        assertThat(redo.gradient()).containsExactly(update);
        redo.apply(update);
        assertThat(redo.weightsHash()).isEqualTo(hashAfter);
        redo.close();
    }
}
