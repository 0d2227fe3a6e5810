package io.crosstrain.scheduler.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.SyncSpec;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ClusterPlanner;

class PlanAssemblerTest {

    static final int DEFAULT_VOCAB = 64;
    /** The vocabulary of the bundled corpus the specs here train on: known to the plan without reading it. */
    static final int BUNDLED_VOCAB = DatasetSpec.bundled().knownVocabulary();
    final PlanAssembler assembler = assembler(DEFAULT_VOCAB);

    /** The scheduler's assembler: the planner, a quarter of the host CPU, no minimum step. */
    static PlanAssembler assembler(int defaultVocab) {
        return new PlanAssembler(new ClusterPlanner(ChipCatalogue.defaults()), defaultVocab,
                new PlanAssembler.Emulation(0.25, 0));
    }
    final UUID jobId = UUID.randomUUID();

    static JobSpec spec(ModelSpec model, int globalBatch, String allocation, Double timeScale, int hashEvery) {
        return new JobSpec("t", model, DatasetSpec.bundled(), 20, globalBatch, 3e-3, 7L, "diloco", allocation,
                List.of(), null, timeScale, hashEvery);
    }

    static InventoryDevice emulated(String id, String dc, String chip, double cpuFlops, int cores) {
        return new InventoryDevice(id, dc + "-node", dc, chip, "HEALTHY", Plan.EMULATED, cpuFlops, cores);
    }

    final List<InventoryDevice> threeDatacenters = List.of(
            emulated("sh-0", "sh", "H20", 3e9, 4),
            emulated("bj-0", "bj", "A100-80G", 2e9, 8),
            emulated("gy-0", "gy", "Ascend-910B", 2e9, 2));

    @Test
    void balancedEmulatedPlanSplitsTheGlobalBatchAcrossSortedDatacenters() {
        JobSpec spec = spec(ModelSpec.demo(), 48, JobSpec.BALANCED, null, 0);

        Plan plan = planned(assembler.assemble(jobId, spec, threeDatacenters));

        assertThat(plan.jobId()).isEqualTo(jobId);
        assertThat(plan.planVersion()).isEqualTo(1);
        assertThat(plan.mode()).isEqualTo(Plan.EMULATED);
        assertThat(plan.strategy()).isEqualTo("diloco");
        assertThat(plan.allocation()).isEqualTo(JobSpec.BALANCED);
        assertThat(plan.datacenters()).containsExactly("bj", "gy", "sh");
        assertThat(plan.devices()).extracting(PlanDevice::batch).allSatisfy(b -> assertThat(b).isPositive());
        assertThat(plan.devices().stream().mapToInt(PlanDevice::batch).sum()).isEqualTo(48);
        assertThat(plan.devices()).extracting(PlanDevice::rank).containsExactly(0, 1, 2);
        assertThat(plan.devices()).allSatisfy(d -> assertThat(d.pacedStepSeconds()).isPositive());
        assertThat(plan.timeScale()).isPositive();
        assertThat(plan.predicted().stepSeconds()).isPositive();
        assertThat(plan.predicted().eta()).isGreaterThanOrEqualTo(plan.predicted().equalSplitEta());
        // the A100 is about twice as fast as the H20 on this model, so it gets the bigger share
        assertThat(batchOf(plan, "bj-0")).isGreaterThan(batchOf(plan, "sh-0"));
    }

    @Test
    void specFieldsPassThroughAndHashEveryDefaultsToTen() {
        JobSpec spec = spec(ModelSpec.demo(), 12, JobSpec.EQUAL, 0.25, 0);

        Plan plan = planned(assembler.assemble(jobId, spec, threeDatacenters));

        assertThat(plan.model()).isEqualTo(ModelSpec.demo()); // vocab stays 0: workers derive it from the corpus
        assertThat(plan.dataset()).isEqualTo(DatasetSpec.bundled());
        assertThat(plan.steps()).isEqualTo(20);
        assertThat(plan.globalBatch()).isEqualTo(12);
        assertThat(plan.learningRate()).isEqualTo(3e-3);
        assertThat(plan.seed()).isEqualTo(7L);
        assertThat(plan.hashEvery()).isEqualTo(10);
        assertThat(plan.timeScale()).isEqualTo(0.25);
        assertThat(plan.devices()).extracting(PlanDevice::batch).containsExactly(4, 4, 4);
        assertThat(planned(assembler.assemble(jobId, spec(ModelSpec.demo(), 12, null, null, 5), threeDatacenters))
                .hashEvery()).isEqualTo(5);
    }

    @Test
    void wanBytesCountEveryOrderedPairOfDatacentersWithTheBundledCorpusVocabulary() {
        Plan plan = planned(assembler.assemble(jobId, spec(ModelSpec.demo(), 24, null, null, 0), threeDatacenters));

        long parameters = ModelSpec.demo().parameters(BUNDLED_VOCAB);
        assertThat(plan.predicted().wanBytesPerStep()).isEqualTo(3L * 2L * parameters * 4L);
        assertThat(PlanAssembler.wanBytesPerStep(1, parameters)).isZero();
    }

    @Test
    void theSpecsVocabularyWinsThenTheBundledCorpusThenTheDefault() {
        ModelSpec withVocab = new ModelSpec(2, 96, 4, 64, 80);

        assertThat(assembler.assumedVocab(withVocab, DatasetSpec.bundled())).isEqualTo(80);
        assertThat(assembler.assumedVocab(ModelSpec.demo(), DatasetSpec.bundled())).isEqualTo(66);
        assertThat(assembler.assumedVocab(ModelSpec.demo(), new DatasetSpec(DatasetSpec.PATH, null, "my.txt")))
                .isEqualTo(DEFAULT_VOCAB);
        Plan plan = planned(assembler.assemble(jobId, spec(withVocab, 24, null, null, 0), threeDatacenters));
        assertThat(plan.model()).isEqualTo(withVocab);
        assertThat(plan.predicted().wanBytesPerStep()).isEqualTo(24L * withVocab.parameters(80));
    }

    @Test
    void requestCarriesCpuCostPerSampleHostCoresAndEmulation() {
        JobSpec spec = spec(ModelSpec.demo(), 24, null, 0.5, 0);

        ClusterPlanner.Request request = assembler.request(spec, threeDatacenters, java.util.Map.of(), List.of());

        double flops = ModelSpec.demo().flopsPerSample(BUNDLED_VOCAB);
        assertThat(request.devices()).extracting(ClusterPlanner.Device::cpuSecondsPerSample)
                .containsExactly(flops / 3e9, flops / 2e9, flops / 2e9);
        assertThat(request.devices()).allSatisfy(d -> {
            assertThat(d.samplesPerSec()).isNull();
            assertThat(d.maxMicroBatch()).isNull();
        });
        assertThat(request.emulation().hostCores()).isEqualTo(8);
        assertThat(request.emulation().timeScale()).isEqualTo(0.5);
        assertThat(request.emulation().cpuBudget()).isEqualTo(0.25);
        assertThat(request.job().allowGradientAccumulation()).isFalse();
        assertThat(request.job().globalBatch()).isEqualTo(24);
        assertThat(request.job().allocation()).isEqualTo(JobSpec.BALANCED);
        assertThat(request.job().layers().layers()).isEqualTo(2);
    }

    @Test
    void oneRealAcceleratorMakesThePlanMeasuredAndUnpaced() {
        List<InventoryDevice> devices = List.of(
                new InventoryDevice("g0", "n0", "bj", "A100-80G", "HEALTHY", Plan.MEASURED, 0.0, 16),
                emulated("e0", "sh", "H20", 2e9, 4));

        assertThat(assembler.request(spec(ModelSpec.demo(), 8, null, null, 0), devices, java.util.Map.of(),
                List.of()).emulation()).isNull();
        Plan plan = planned(assembler.assemble(jobId, spec(ModelSpec.demo(), 8, null, null, 0), devices));
        assertThat(plan.mode()).isEqualTo(Plan.MEASURED);
        assertThat(plan.timeScale()).isNull();
        assertThat(PlanAssembler.cpuSecondsPerSample(1e8, devices.get(0))).isZero();
    }

    @Test
    void anUnknownChipRejectsTheJobNamingTheChip() {
        List<InventoryDevice> devices = List.of(emulated("x0", "bj", "TPU-v9", 2e9, 4));

        SchedulingDecision d = assembler.assemble(jobId, spec(ModelSpec.demo(), 8, null, null, 0), devices);

        assertThat(d).isInstanceOf(SchedulingDecision.Rejected.class);
        assertThat(((SchedulingDecision.Rejected) d).reason()).contains("x0", "TPU-v9");
    }

    @Test
    void badSpecsAreRejectedWithTheFieldAtFault() {
        assertThat(reason(spec(null, 8, null, null, 0))).isEqualTo("spec.model is missing");
        assertThat(reason(spec(ModelSpec.demo(), 0, null, null, 0))).contains("spec.globalBatch");
        assertThat(reason(spec(new ModelSpec(0, 96, 4, 64, 0), 8, null, null, 0))).contains("spec.model");
        assertThat(reason(spec(ModelSpec.demo(), 8, "fastest", null, 0))).contains("allocation", "fastest");
        assertThat(((SchedulingDecision.Rejected) assembler.assemble(jobId, spec(ModelSpec.demo(), 8, null, null, 0),
                List.of())).reason()).isEqualTo("no device available for the job");
    }

    private String reason(JobSpec spec) {
        SchedulingDecision d = assembler.assemble(jobId, spec, threeDatacenters);
        assertThat(d).isInstanceOf(SchedulingDecision.Rejected.class);
        return ((SchedulingDecision.Rejected) d).reason();
    }

    static Plan planned(SchedulingDecision d) {
        assertThat(d).isInstanceOf(SchedulingDecision.Planned.class);
        return ((SchedulingDecision.Planned) d).plan();
    }

    static int batchOf(Plan plan, String deviceId) {
        return plan.devices().stream().filter(d -> d.deviceId().equals(deviceId)).findFirst().orElseThrow().batch();
    }

    @Test
    void measuredProfilesOfTheModelOverrideTheRooflinePrior() {
        List<PlanAssembler.MeasuredProfile> profiles = List.of(
                new PlanAssembler.MeasuredProfile("A100-80G", "tx-L2-d96-h4-s64-v66", 53, 1.2e6, 40),
                new PlanAssembler.MeasuredProfile("A100-80G", "tx-L2-d96-h4-s64-v66", 27, 1.1e6, 5),
                new PlanAssembler.MeasuredProfile("H20", "tx-L4-d96-h4-s64-v66", 25, 9.0e5, 40),
                new PlanAssembler.MeasuredProfile("Ascend-910B", "tx-L2-d96-h4-s64-v66", 54, 0.0, 40));
        // the demo model leaves the vocabulary to the corpus: any vocabulary of the same architecture counts
        assertThat(PlanAssembler.measuredByChip(ModelSpec.demo(), profiles))
                .containsExactlyInAnyOrderEntriesOf(java.util.Map.of("a100-80g", 1.2e6));
        ModelSpec fixedVocab = new ModelSpec(2, 96, 4, 64, 70);
        assertThat(PlanAssembler.measuredByChip(fixedVocab, profiles)).isEmpty();
    }

    @Test
    void autoIsSyncDpInOneDatacenterDilocoAcrossAnUnknownWanAndWhatTheLinksAllowOtherwise() {
        JobSpec auto = new JobSpec("t", ModelSpec.demo(), DatasetSpec.bundled(), 200, 48, 3e-3, 7L, "auto",
                JobSpec.BALANCED, List.of(), null, null, 0);
        assertThat(planned(assembler.assemble(jobId, auto, threeDatacenters.subList(1, 2))).strategy())
                .isEqualTo(JobSpec.SYNC_DP);
        Plan unknownWan = planned(assembler.assemble(jobId, auto, threeDatacenters));
        assertThat(unknownWan.strategy()).isEqualTo(JobSpec.DILOCO);
        assertThat(unknownWan.syncOrDefaults().h()).isEqualTo(SyncSpec.DEFAULT_H);
        // links fast enough for the gradient every step: sync DP, the links copied into the plan
        List<io.crosstrain.contracts.WanLink> fast = List.of(new io.crosstrain.contracts.WanLink("bj", "sh", 1e6, 0.0),
                new io.crosstrain.contracts.WanLink("bj", "gy", 1e6, 0.0),
                new io.crosstrain.contracts.WanLink("gy", "sh", 1e6, 0.0));
        Plan fastWan = planned(assembler.assemble(jobId, auto, threeDatacenters, List.of(), fast));
        assertThat(fastWan.strategy()).isEqualTo(JobSpec.SYNC_DP);
        assertThat(fastWan.links()).hasSize(3);
        // a slow WAN: DiLoCo with the H the planner chose from the links, not the default
        List<io.crosstrain.contracts.WanLink> slow = List.of(new io.crosstrain.contracts.WanLink("bj", "sh", 1e-3, 5.0),
                new io.crosstrain.contracts.WanLink("bj", "gy", 1e-3, 5.0),
                new io.crosstrain.contracts.WanLink("gy", "sh", 1e-3, 5.0));
        Plan slowWan = planned(assembler.assemble(jobId, auto, threeDatacenters, List.of(), slow));
        assertThat(slowWan.strategy()).isEqualTo(JobSpec.DILOCO);
        assertThat(slowWan.syncOrDefaults().h()).isNotEqualTo(SyncSpec.DEFAULT_H).isBetween(2, 200);
        // a spec's own H is kept
        JobSpec fixedH = new JobSpec("t", ModelSpec.demo(), DatasetSpec.bundled(), 200, 48, 3e-3, 7L, "auto",
                JobSpec.BALANCED, List.of(), null, null, 0, null, null, null, new SyncSpec(7, "int8", null, null));
        assertThat(planned(assembler.assemble(jobId, fixedH, threeDatacenters, List.of(), slow)).syncOrDefaults()
                .h()).isEqualTo(7);
    }

    @Test
    void defaultDilocoSettingsOfAShortJobSyncAtItsEnd() {
        SyncSpec defaults = SyncSpec.defaults();
        assertThat(PlanAssembler.fitted(defaults, 10).h()).isEqualTo(10);
        assertThat(PlanAssembler.fitted(defaults, 10).codec()).isEqualTo(defaults.codec());
        assertThat(PlanAssembler.fitted(defaults, 1000)).isEqualTo(defaults);
    }

    /** The large preset on four emulated A100s whose memory is scaled down so that no device holds it whole. */
    private Plan pipelinedPlan() {
        List<InventoryDevice> bj = List.of(emulated("bj-0", "bj", "A100-80G", 2e9, 8),
                emulated("bj-1", "bj", "A100-80G", 2e9, 8), emulated("bj-2", "bj", "A100-80G", 2e9, 8),
                emulated("bj-3", "bj", "A100-80G", 2e9, 8));
        JobSpec spec = new JobSpec("pipe", ModelSpec.preset("large"), DatasetSpec.bundled(), 20, 32, 3e-3, 7L,
                "sync-dp", JobSpec.BALANCED, List.of(), null, null, 0, null, null, null, null, null, 8e-4);
        return planned(assembler.assemble(jobId, spec, bj, List.of(), List.of()));
    }

    @Test
    void aModelNoDeviceHoldsIsPlannedAsPipelinedReplicasWithParameterRanges() {
        Plan plan = pipelinedPlan();

        assertThat(plan.pipelined()).isTrue();
        assertThat(plan.memoryScale()).isEqualTo(8e-4);
        assertThat(plan.layouts()).singleElement().satisfies(l -> {
            assertThat(l.stages()).isGreaterThan(1);
            assertThat(l.replicas()).isEqualTo(4 / l.stages());
        });
        assertEveryReplicaHoldsTheModelOnce(plan);
        assertThat(plan.devices().stream().filter(d -> d.stage().index() == 0).mapToInt(PlanDevice::batch).sum())
                .isEqualTo(32);
    }

    /** Every block in one stage of each replica, every parameter in one range, one batch per replica. */
    private static void assertEveryReplicaHoldsTheModelOnce(Plan plan) {
        long total = ModelSpec.preset("large").parameters(66);
        java.util.Map<String, List<PlanDevice>> replicas = new java.util.TreeMap<>();
        plan.devices().forEach(d -> replicas.computeIfAbsent(d.replica(), k -> new java.util.ArrayList<>()).add(d));
        for (List<PlanDevice> stages : replicas.values()) {
            // every block in exactly one stage, every parameter in exactly one range, the batch the replica's
            long next = 0;
            int block = 0;
            for (PlanDevice d : stages.stream().sorted(java.util.Comparator.comparingInt(x -> x.stage().index()))
                    .toList()) {
                assertThat(d.stage().firstLayer()).isEqualTo(block);
                assertThat(d.stage().parameterOffset()).isEqualTo(next);
                assertThat(d.stage().memoryBytes()).isLessThanOrEqualTo(d.stage().capacityBytes());
                assertThat(d.batch()).isEqualTo(stages.get(0).batch());
                block = d.stage().lastLayer() + 1;
                next += d.stage().parameterCount();
            }
            assertThat(block).isEqualTo(6);
            assertThat(next).isEqualTo(total);
        }
    }

    @Test
    void aSyncDpReplanLaysOutTheDatacenterThatLostAStageAfreshFromItsSurvivors() {
        Plan plan = pipelinedPlan();
        PlanDevice lost = plan.devices().get(0);
        List<InventoryDevice> remaining = plan.devices().stream().filter(d -> d != lost)
                .map(d -> emulated(d.deviceId(), "bj", "A100-80G", 2e9, 8)).toList();

        Plan next = planned(assembler.replan(plan, remaining, java.util.Map.of(), 5, "lost " + lost.deviceId(),
                true));

        assertThat(next.planVersion()).isEqualTo(2);
        // the lost device's partner is not left idle: the three survivors form a replica again
        assertThat(next.devices()).extracting(PlanDevice::deviceId)
                .containsExactlyInAnyOrderElementsOf(remaining.stream().map(InventoryDevice::id).toList());
        assertEveryReplicaHoldsTheModelOnce(next);
        assertThat(next.devices().stream().filter(d -> d.stage().index() == 0).mapToInt(PlanDevice::batch).sum())
                .isEqualTo(32);
        assertThat(next.timeScale()).isEqualTo(plan.timeScale());
    }

    @Test
    void aSyncDpReplanKeepsTheIntactDatacentersExactlyAndReLaysOutTheOneThatLostADevice() {
        Plan plan = threeDatacenterPipelinedPlan("sync-dp");
        // gy holds one 3-stage replica; the others two 2-stage replicas each (memory allows 3 blocks per 910B)
        assertThat(stagesOf(plan, "gy")).containsExactly(3, 3, 3);
        List<InventoryDevice> remaining = survivorsWithout(plan, "gy-1");

        Plan next = planned(assembler.replan(plan, remaining, java.util.Map.of(), 5, "lost gy-1", true));

        assertKeptExactly(plan, next, "bj");
        assertKeptExactly(plan, next, "sh");
        List<PlanDevice> gy = next.devices().stream().filter(d -> d.datacenter().equals("gy")).toList();
        assertThat(gy).extracting(PlanDevice::deviceId).containsExactlyInAnyOrder("gy-0", "gy-2");
        // one replica of two stages, each holding more blocks than before
        assertThat(stagesOf(next, "gy")).containsExactly(2, 2);
        assertThat(gy).allSatisfy(d -> assertThat(d.stage().lastLayer() - d.stage().firstLayer() + 1)
                .isGreaterThan(2));
        assertEveryReplicaHoldsTheModelOnce(next);
        assertThat(next.devices().stream().filter(d -> d.stage().index() == 0).mapToInt(PlanDevice::batch).sum())
                .isEqualTo(32);
    }

    @Test
    void aSyncDpJoinLaysOutTheJoinersDatacenterAfreshAndKeepsTheOthersExactly() {
        Plan plan = threeDatacenterPipelinedPlan("sync-dp");
        List<InventoryDevice> members = new java.util.ArrayList<>(survivorsWithout(plan, "none"));
        members.add(emulated("gy-3", "gy", "Ascend-910B", 2e9, 2));

        Plan next = planned(assembler.replan(plan, members, java.util.Map.of(), 5, "elastic: [gy-3] joined", false));

        assertKeptExactly(plan, next, "bj");
        assertKeptExactly(plan, next, "sh");
        assertThat(next.devices()).extracting(PlanDevice::deviceId).contains("gy-3");
        assertThat(next.devices().stream().filter(d -> d.datacenter().equals("gy")).count()).isEqualTo(4);
        assertEveryReplicaHoldsTheModelOnce(next);
        assertThat(next.devices().stream().filter(d -> d.stage().index() == 0).mapToInt(PlanDevice::batch).sum())
                .isEqualTo(32);
    }

    @Test
    void aDilocoReplanKeepsEveryIntactReplicaAsItWasAndLeavesOutTheOnesThatLostAStage() {
        Plan plan = threeDatacenterPipelinedPlan("diloco");
        assertThat(plan.diloco()).isTrue();
        List<InventoryDevice> remaining = survivorsWithout(plan, "gy-1");

        Plan next = planned(assembler.replan(plan, remaining, java.util.Map.of(), 5, "lost gy-1", true));

        assertKeptExactly(plan, next, "bj");
        assertKeptExactly(plan, next, "sh");
        // gy's only replica broke: its survivors hold a different datacenter's inner state, so they stay out
        assertThat(next.devices()).noneMatch(d -> d.datacenter().equals("gy"));
        assertThat(next.devices().stream().filter(d -> d.stage().index() == 0).mapToInt(PlanDevice::batch).sum())
                .isEqualTo(32);
        assertThat(next.timeScale()).isEqualTo(plan.timeScale());
    }

    /** Four A100s in bj, three 910Bs in gy, four H20s in sh, memory scaled so that no device holds the model. */
    private Plan threeDatacenterPipelinedPlan(String strategy) {
        List<InventoryDevice> devices = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            devices.add(emulated("bj-" + i, "bj", "A100-80G", 2e9, 8));
            devices.add(emulated("sh-" + i, "sh", "H20", 3e9, 4));
        }
        for (int i = 0; i < 3; i++) {
            devices.add(emulated("gy-" + i, "gy", "Ascend-910B", 2e9, 2));
        }
        JobSpec spec = new JobSpec("pipe", ModelSpec.preset("large"), DatasetSpec.bundled(), 20, 32, 3e-3, 7L,
                strategy, JobSpec.BALANCED, List.of(), null, null, 0, null, null, null, null, null, 8e-4);
        Plan plan = planned(assembler.assemble(jobId, spec, devices, List.of(), List.of()));
        assertThat(plan.devices()).hasSize(11).allMatch(PlanDevice::staged);
        return plan;
    }

    private static List<InventoryDevice> survivorsWithout(Plan plan, String lost) {
        return plan.devices().stream().filter(d -> !d.deviceId().equals(lost))
                .map(d -> emulated(d.deviceId(), d.datacenter(), d.chip(), d.datacenter().equals("sh") ? 3e9 : 2e9,
                        d.datacenter().equals("bj") ? 8 : d.datacenter().equals("sh") ? 4 : 2))
                .toList();
    }

    /** Stages per replica of each of the datacenter's devices, in rank order. */
    private static List<Integer> stagesOf(Plan plan, String datacenter) {
        return plan.devices().stream().filter(d -> d.datacenter().equals(datacenter))
                .map(d -> d.stage().stages()).toList();
    }

    /** The datacenter's devices keep their replica, blocks and parameter range. */
    private static void assertKeptExactly(Plan before, Plan after, String datacenter) {
        List<PlanDevice> was = before.devices().stream().filter(d -> d.datacenter().equals(datacenter)).toList();
        List<PlanDevice> is = after.devices().stream().filter(d -> d.datacenter().equals(datacenter)).toList();
        assertThat(is).extracting(PlanDevice::deviceId)
                .containsExactlyInAnyOrderElementsOf(was.stream().map(PlanDevice::deviceId).toList());
        for (PlanDevice d : is) {
            PlanDevice b = was.stream().filter(p -> p.deviceId().equals(d.deviceId())).findFirst().orElseThrow();
            assertThat(d.replica()).as("replica of %s", d.deviceId()).isEqualTo(b.replica());
            assertThat(d.stage().index()).isEqualTo(b.stage().index());
            assertThat(d.stage().firstLayer()).as("first block of %s", d.deviceId())
                    .isEqualTo(b.stage().firstLayer());
            assertThat(d.stage().lastLayer()).as("last block of %s", d.deviceId()).isEqualTo(b.stage().lastLayer());
            assertThat(d.stage().parameterOffset()).isEqualTo(b.stage().parameterOffset());
            assertThat(d.stage().parameterCount()).isEqualTo(b.stage().parameterCount());
        }
    }

    @Test
    void withoutTheVocabularyAJobIsPlannedAsWholeReplicasAndTheReasonSaysWhatToGive() {
        List<InventoryDevice> bj = List.of(emulated("bj-0", "bj", "A100-80G", 2e9, 8),
                emulated("bj-1", "bj", "A100-80G", 2e9, 8));
        JobSpec spec = new JobSpec("pipe", ModelSpec.preset("large"), new DatasetSpec(DatasetSpec.PATH, null,
                "uploads/x.txt"), 20, 32, 3e-3, 7L, "sync-dp", JobSpec.BALANCED, List.of(), null, null, 0, null, null,
                null, null, null, 8e-4);
        SchedulingDecision d = assembler.assemble(jobId, spec, bj, List.of(), List.of());
        assertThat(d).isInstanceOf(SchedulingDecision.Rejected.class);
        assertThat(((SchedulingDecision.Rejected) d).reason()).contains("model.vocabSize");
    }
}
