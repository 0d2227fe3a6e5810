package io.crosstrain.worker.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;

/** Which plans a node starts a run for. */
class WorkerNodeTest {

    private static final JobRun.Outbox NOTHING = new JobRun.Outbox() {
        @Override
        public void sendGradient(String topic, String key, byte[] chunk) {
        }

        @Override
        public void publishMetric(StepMetric metric) {
        }
    };

    @Test
    void aVersionThatTakesOverAfterTheLastStepStartsNothing() {
        WorkerNode node = new WorkerNode("n0", List.of("d0"), Path.of("."), 1_000, NOTHING);
        PlanDevice d0 = new PlanDevice("d0", "n0", "dc", "A100-80G", 0, 4, 1, 100.0, 0.0);
        // a rebalance planned a few steps ahead of a job that ended meanwhile: its run here finished already
        Plan late = new Plan(UUID.randomUUID(), 5, "sync-dp", "balanced", Plan.MEASURED, null,
                new ModelSpec(2, 16, 2, 16, 0), DatasetSpec.bundled(), 12, 4, 0.01, 7, 2, List.of("dc"), List.of(d0),
                null, 14, "rebalance", false);

        assertThat(node.accept(late)).isEmpty();
        assertThat(node.runs()).isEmpty();
    }

    @Test
    void whatANodeRemembersPerJobStaysBoundedWhateverRunsThroughIt() {
        WorkerNode node = new WorkerNode("n0", List.of("d0"), Path.of("."), 1_000, NOTHING);
        PlanDevice d0 = new PlanDevice("d0", "n0", "dc", "A100-80G", 0, 4, 1, 100.0, 0.0);
        int jobs = WorkerNode.STOPPING_MEMORY + 500;
        for (int i = 0; i < jobs; i++) {
            UUID job = UUID.randomUUID();
            node.accept(new Plan(job, 2, "sync-dp", "balanced", Plan.MEASURED, null, new ModelSpec(2, 16, 2, 16, 0),
                    DatasetSpec.bundled(), 12, 4, 0.01, 7, 2, List.of("dc"), List.of(d0), null, 14, "rebalance",
                    false));
            node.onJobState(job, io.crosstrain.contracts.JobState.CANCELLED, "test");
        }
        assertThat(node.rememberedJobs()).isLessThanOrEqualTo(WorkerNode.STOPPING_MEMORY);
    }

    @Test
    void anEndedJobLeavesNothingTrackedAndItsLaterPlansStartNothing() {
        WorkerNode node = new WorkerNode("n0", List.of("d0"), Path.of("."), 1_000, NOTHING);
        PlanDevice d0 = new PlanDevice("d0", "n0", "dc", "A100-80G", 0, 4, 1, 100.0, 0.0);
        UUID job = UUID.randomUUID();
        node.accept(plan(job, 2, d0));
        assertThat(node.trackedJobs()).isEqualTo(1);

        node.onJobState(job, io.crosstrain.contracts.JobState.FAILED, "test");
        assertThat(node.trackedJobs()).as("plan versions of an ended job").isZero();

        assertThat(node.accept(plan(job, 3, d0))).isEmpty();
        assertThat(node.trackedJobs()).as("a plan read again after the end").isZero();
        assertThat(node.runningJobs()).isZero();
        assertThat(node.heldHandovers()).isZero();
    }

    /** A version that takes over after the last step: accepted without starting DJL. */
    private static Plan plan(UUID job, int version, PlanDevice device) {
        return new Plan(job, version, "sync-dp", "balanced", Plan.MEASURED, null, new ModelSpec(2, 16, 2, 16, 0),
                DatasetSpec.bundled(), 12, 4, 0.01, 7, 2, List.of("dc"), List.of(device), null, 14, "rebalance",
                false);
    }
}
