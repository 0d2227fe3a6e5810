package io.crosstrain.scheduler.domain;

import static io.crosstrain.scheduler.domain.PlanAssemblerTest.emulated;
import static io.crosstrain.scheduler.domain.PlanAssemblerTest.planned;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.CheckpointRef;
import io.crosstrain.contracts.CheckpointSpec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.ResumePoint;
import io.crosstrain.contracts.SyncSpec;

/** Checkpoint settings in every plan, and the version that resumes a suspended job. */
class ResumePlanTest {

    final PlanAssembler assembler = PlanAssemblerTest.assembler(PlanAssemblerTest.DEFAULT_VOCAB);
    final UUID jobId = UUID.randomUUID();
    final List<InventoryDevice> bjAndSh = List.of(
            emulated("bj-0", "bj", "A100-80G", 2e9, 8), emulated("bj-1", "bj", "A100-80G", 2e9, 8),
            emulated("sh-0", "sh", "H20", 3e9, 4));

    static JobSpec spec(String strategy, SyncSpec sync, CheckpointSpec checkpoint) {
        return new JobSpec("t", ModelSpec.demo(), DatasetSpec.bundled(), 100, 24, 3e-3, 7L, strategy,
                JobSpec.BALANCED, List.of(), null, 0.5, 0, null, null, null, sync, null, 2.0, checkpoint);
    }

    @Test
    void everyFirstPlanCarriesTheCheckpointSettingsResolvedForItsStrategy() {
        Plan sync = planned(assembler.assemble(jobId, spec("sync-dp", null, null), bjAndSh));
        assertThat(sync.checkpoint()).isEqualTo(new CheckpointSpec(CheckpointSpec.DEFAULT_EVERY_SYNC_DP,
                CheckpointSpec.DEFAULT_KEEP));

        // DiLoCo checkpoints right after outer rounds: every H steps of the H the plan runs
        Plan diloco = planned(assembler.assemble(jobId, spec("diloco", new SyncSpec(20, null, null, null), null),
                bjAndSh));
        assertThat(diloco.syncOrDefaults().h()).isEqualTo(20);
        assertThat(diloco.checkpoint()).isEqualTo(new CheckpointSpec(20, CheckpointSpec.DEFAULT_KEEP));

        Plan asked = planned(assembler.assemble(jobId, spec("sync-dp", null, new CheckpointSpec(25, 7)), bjAndSh));
        assertThat(asked.checkpoint()).isEqualTo(new CheckpointSpec(25, 7));
    }

    @Test
    void aReplanKeepsTheCheckpointSettingsAndResumesNothing() {
        Plan first = planned(assembler.assemble(jobId, spec("sync-dp", null, new CheckpointSpec(25, 7)), bjAndSh));
        Plan next = planned(assembler.replan(first, bjAndSh.subList(0, 2), Map.of(), 31, "lost [sh-0]", true));
        assertThat(next.checkpoint()).isEqualTo(first.checkpoint());
        assertThat(next.resume()).isNull();
        assertThat(next.startStep()).isEqualTo(31);
    }

    @Test
    void aResumeIsTheNextVersionFromTheStepAfterTheCheckpointOnTheDevicesAdmissionChose() {
        Plan first = planned(assembler.assemble(jobId, spec("sync-dp", null, new CheckpointSpec(20, 3)), bjAndSh));
        Plan second = planned(assembler.replan(first, bjAndSh.subList(0, 2), Map.of(), 31, "lost [sh-0]", true));
        // every device of the job was lost; it comes back on other devices, one of them new to the job
        List<InventoryDevice> free = List.of(emulated("sh-0", "sh", "H20", 3e9, 4),
                emulated("sh-1", "sh", "H20", 3e9, 4));
        ResumePoint point = Resumes.pointOf(new CheckpointRef(40, 2, "jobs/j/step-40/manifest.json", 1 << 20));

        Plan resumed = planned(assembler.resume(second, free, List.of(), point));

        assertThat(resumed.planVersion()).isEqualTo(3);
        assertThat(resumed.recovery()).isTrue();
        assertThat(resumed.resume()).isEqualTo(new ResumePoint(40, "jobs/j/step-40/manifest.json"));
        assertThat(resumed.startStep()).isEqualTo(41);
        assertThat(resumed.reason()).isEqualTo("resume from checkpoint step 40");
        assertThat(resumed.checkpoint()).isEqualTo(new CheckpointSpec(20, 3));
        assertThat(resumed.devices()).extracting(PlanDevice::deviceId).containsExactlyInAnyOrder("sh-0", "sh-1");
        assertThat(resumed.devices().stream().mapToInt(PlanDevice::batch).sum()).isEqualTo(24);
        assertThat(resumed.datacenters()).containsExactly("sh");
        // every emulated chip keeps its speed across versions: same time scale, same memory scale
        assertThat(resumed.timeScale()).isEqualTo(first.timeScale());
        assertThat(resumed.memoryScale()).isEqualTo(first.memoryScale()).isEqualTo(2.0);
        assertThat(resumed.strategy()).isEqualTo(first.strategy());
        assertThat(resumed.steps()).isEqualTo(100);
        // sh-0 ran before at its emulated speed; sh-1 is new and runs at the H20's nominal speed: the same here
        assertThat(resumed.devices()).extracting(PlanDevice::emulatedSpeed).doesNotContainNull();
    }

    @Test
    void withoutACheckpointTheJobResumesFromItsInitialWeights() {
        Plan first = planned(assembler.assemble(jobId, spec("sync-dp", null, null), bjAndSh));
        ResumePoint point = Resumes.pointOf(null);

        Plan resumed = planned(assembler.resume(first, bjAndSh, List.of(), point));

        assertThat(resumed.resume()).isEqualTo(new ResumePoint(0, null));
        assertThat(resumed.startStep()).isEqualTo(1);
        assertThat(resumed.planVersion()).isEqualTo(2);
        assertThat(resumed.reason()).isEqualTo("resume from checkpoint step 0 (initial weights)");
    }

    @Test
    void aPlanMadeBeforeCheckpointsResumesWithTheDefaultSettings() {
        Plan first = planned(assembler.assemble(jobId, spec("sync-dp", null, null), bjAndSh)).withCheckpoint(null);
        Plan resumed = planned(assembler.resume(first, bjAndSh, List.of(), ResumePoint.fromStart()));
        assertThat(resumed.checkpoint()).isEqualTo(new CheckpointSpec(50, 3));
    }

    @Test
    void noFreeDeviceOrNoFeasiblePlanIsARejectionThatSaysWhy() {
        Plan first = planned(assembler.assemble(jobId, spec("sync-dp", null, null), bjAndSh));
        assertThat(assembler.resume(first, List.of(), List.of(), ResumePoint.fromStart()))
                .isInstanceOfSatisfying(SchedulingDecision.Rejected.class,
                        r -> assertThat(r.reason()).contains("no device is free"));
        assertThat(assembler.resume(first, List.of(emulated("x-0", "x", "TPU-v9", 2e9, 2)), List.of(),
                ResumePoint.fromStart())).isInstanceOfSatisfying(SchedulingDecision.Rejected.class,
                        r -> assertThat(r.reason()).startsWith("the planner rejected the devices free now")
                                .contains("TPU-v9"));
    }

    @Test
    void theSuspendReasonNamesTheCheckpointOrTheInitialWeights() {
        assertThat(Resumes.suspendReason("lost every device [bj-0]", new CheckpointRef(40, 2, "m/40.json", 9)))
                .isEqualTo("lost every device [bj-0]; suspended until devices are free, then resumes from "
                        + "checkpoint step 40 (m/40.json)");
        assertThat(Resumes.suspendReason("lost every device [bj-0]", null))
                .endsWith("then resumes from its initial weights (no checkpoint yet)");
    }
}
