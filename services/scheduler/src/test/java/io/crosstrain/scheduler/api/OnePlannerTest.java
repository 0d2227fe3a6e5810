package io.crosstrain.scheduler.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.PlanLayout;
import io.crosstrain.contracts.SyncSpec;
import io.crosstrain.contracts.WanLink;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ClusterPlanner;
import io.crosstrain.scheduler.api.SimulationRequest.DatacenterBody;
import io.crosstrain.scheduler.api.SimulationRequest.DeviceBody;
import io.crosstrain.scheduler.api.SimulationRequest.JobBody;
import io.crosstrain.scheduler.api.SimulationRequest.LinkBody;
import io.crosstrain.scheduler.api.SimulationRequest.ModelBody;
import io.crosstrain.scheduler.api.SimulationRequest.ModelChoice;
import io.crosstrain.scheduler.api.SimulationResponse.DeviceView;
import io.crosstrain.scheduler.api.SimulationResponse.LayoutView;
import io.crosstrain.scheduler.api.SimulationResponse.StageView;
import io.crosstrain.scheduler.domain.InventoryDevice;
import io.crosstrain.scheduler.domain.PlanAssembler;
import io.crosstrain.scheduler.domain.SchedulingDecision;

/**
 * One planner: for the same cluster and job, the plan the scheduler publishes ({@link PlanAssembler#assemble}) and
 * the answer of {@code plans/simulate} (validator, planner, response) agree on every device's batch, replica and
 * stage, on each datacenter's layout, on the strategy and H, and on the predicted η and equal-split η. The devices
 * report {@code measured-on-device}, so no emulation is involved, and the spec gives its vocabulary, which simulate
 * needs (the scheduler would otherwise take the bundled corpus's). Neither side is told a codec, an H, a memory scale
 * or a number of stages: their defaults must agree too.
 */
class OnePlannerTest {

    /** Longer than any H the planner picks, so the scheduler never shortens H to the job's length. */
    private static final int STEPS = 100_000;

    private final ClusterPlanner planner = new ClusterPlanner(ChipCatalogue.defaults());
    /** As PlanAssemblerTest.assembler(64): the scheduler's assembler over the same planner. */
    private final PlanAssembler assembler = new PlanAssembler(planner, 64, new PlanAssembler.Emulation(0.25, 0));

    private static final ModelSpec SEVEN_B = new ModelSpec(32, 4096, 32, 4096, 32000);

    private static InventoryDevice device(String id, String dc, String chip) {
        return new InventoryDevice(id, dc + "-node", dc, chip, InventoryDevice.HEALTHY, Plan.MEASURED, 0.0, 8);
    }

    private static JobSpec spec(ModelSpec model, int globalBatch, String strategy, SyncSpec sync) {
        return new JobSpec("one-planner", model, DatasetSpec.bundled(), STEPS, globalBatch, 3e-4, 7L, strategy,
                JobSpec.BALANCED, List.of(), null, null, 10, null, null, null, sync, null, null);
    }

    @Test
    void aPipelinedMixedDatacenterIsPlannedAlike() {
        // 7B needs about 108 GB for weights, gradients and AdamW state: no A100-80G or H20 holds it alone
        List<InventoryDevice> devices = List.of(device("bj-0", "bj", "A100-80G"), device("bj-1", "bj", "A100-80G"),
                device("bj-2", "bj", "A100-80G"), device("bj-3", "bj", "H20"));

        Compared c = compare(spec(SEVEN_B, 32, JobSpec.AUTO, null), devices, List.of());

        assertThat(c.plan().pipelined()).isTrue();
        assertThat(c.answer().layouts()).singleElement().satisfies(l -> assertThat(l.stages()).isGreaterThan(1));
        assertThat(c.plan().strategy()).isEqualTo("sync-dp");
    }

    @Test
    void severalDatacentersWithLinksAgreeOnStrategyAndH() {
        List<InventoryDevice> devices = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            devices.add(device("bj-" + i, "bj", "A100-80G"));
            devices.add(device("sh-" + i, "sh", "H20"));
            devices.add(device("gy-" + i, "gy", "Ascend-910B"));
        }
        List<WanLink> links = List.of(new WanLink("bj", "sh", 10.0, 30.0), new WanLink("bj", "gy", 1.0, 40.0),
                new WanLink("gy", "sh", 5.0, 35.0));

        Compared c = compare(spec(SEVEN_B, 64, JobSpec.AUTO, null), devices, links);

        assertThat(c.plan().datacenters()).containsExactly("bj", "gy", "sh");
        assertThat(c.plan().pipelined()).isTrue();
        // a 1 Gbit/s link cannot carry a 7B gradient every step: DiLoCo, with an H chosen from the links
        assertThat(c.plan().strategy()).isEqualTo("diloco");
        assertThat(c.answer().predicted().h()).isGreaterThan(1);
    }

    @Test
    void wholeReplicasWithAFixedHAgreeToo() {
        ModelSpec small = new ModelSpec(4, 128, 4, 128, 66);
        List<InventoryDevice> devices = List.of(device("bj-0", "bj", "A100-80G"), device("bj-1", "bj", "H20"),
                device("gy-0", "gy", "Ascend-910B"));
        List<WanLink> links = List.of(new WanLink("bj", "gy", 2.0, 40.0));

        Compared c = compare(spec(small, 48, JobSpec.DILOCO, new SyncSpec(25, "bf16", null, null)), devices, links);

        assertThat(c.plan().pipelined()).isFalse();
        assertThat(c.answer().predicted().h()).isEqualTo(25);
    }

    /** The scheduler's plan and simulate's answer, already checked equal. */
    private record Compared(Plan plan, SimulationResponse answer) {
    }

    private Compared compare(JobSpec spec, List<InventoryDevice> devices, List<WanLink> links) {
        SchedulingDecision decision = assembler.assemble(UUID.randomUUID(), spec, devices, List.of(), links);
        assertThat(decision).isInstanceOf(SchedulingDecision.Planned.class);
        Plan plan = ((SchedulingDecision.Planned) decision).plan();

        SimulationValidator.Validated valid = SimulationValidator.validate(simulateRequest(spec, devices, links),
                planner.catalogue());
        SimulationResponse answer = SimulationResponse.of(valid.request(), planner.plan(valid.request()),
                valid.notes());
        assertThat(answer.feasible()).as(answer.reason()).isTrue();

        // every device: the same place in the plan, batch, micro-batches, replica and stage
        assertThat(answer.devices()).extracting(DeviceView::id)
                .containsExactlyElementsOf(plan.devices().stream().map(PlanDevice::deviceId).toList());
        Map<String, StageView> stages = stagesById(answer);
        for (int i = 0; i < plan.devices().size(); i++) {
            PlanDevice p = plan.devices().get(i);
            DeviceView s = answer.devices().get(i);
            assertThat(s.rank()).as(p.deviceId()).isEqualTo(p.rank());
            assertThat(s.batch()).as(p.deviceId()).isEqualTo(p.batch());
            assertThat(s.microBatches()).as(p.deviceId()).isEqualTo(p.microBatches());
            assertThat(s.samplesPerSec()).as(p.deviceId()).isEqualTo(p.chipSamplesPerSec());
            assertThat(s.replica()).as(p.deviceId()).isEqualTo(p.replica());
            if (p.stage() == null) {
                assertThat(s.stage()).as(p.deviceId()).isNull();
                continue;
            }
            assertThat(s.stage()).as(p.deviceId()).isEqualTo(p.stage().index());
            StageView v = stages.get(p.deviceId());
            assertThat(v.firstLayer()).as(p.deviceId()).isEqualTo(p.stage().firstLayer());
            assertThat(v.lastLayer()).as(p.deviceId()).isEqualTo(p.stage().lastLayer());
            assertThat(v.parameters()).as(p.deviceId()).isEqualTo(p.stage().parameterCount());
            assertThat(v.parameterOffset()).as(p.deviceId()).isEqualTo(p.stage().parameterOffset());
            assertThat(v.memoryGb()).as(p.deviceId()).isEqualTo(p.stage().memoryBytes() / 1e9);
            assertThat(v.capacityGb()).as(p.deviceId()).isEqualTo(p.stage().capacityBytes() / 1e9);
        }

        // every datacenter: the same layout and alternatives
        assertThat(answer.layouts()).hasSameSizeAs(plan.layouts());
        for (int i = 0; i < plan.layouts().size(); i++) {
            PlanLayout p = plan.layouts().get(i);
            LayoutView s = answer.layouts().get(i);
            assertThat(s.datacenter()).isEqualTo(p.datacenter());
            assertThat(s.stages()).as(p.datacenter()).isEqualTo(p.stages());
            assertThat(s.replicas()).as(p.datacenter()).isEqualTo(p.replicas());
            assertThat(s.maxMicroBatch() == null ? 0 : s.maxMicroBatch()).as(p.datacenter())
                    .isEqualTo(p.microBatchSize());
            assertThat(s.stepSeconds()).as(p.datacenter()).isEqualTo(p.stepSeconds());
            assertThat(s.bubbleFraction()).as(p.datacenter()).isEqualTo(p.bubbleFraction());
            assertThat(s.eta()).as(p.datacenter()).isEqualTo(p.eta());
            assertThat(s.idle()).as(p.datacenter()).isEqualTo(p.idle());
            assertThat(s.equalLayers() != null && s.equalLayers().feasible() ? s.equalLayers().eta() : null)
                    .as(p.datacenter()).isEqualTo(p.equalLayersEta());
            assertThat(s.dataParallelOnly() != null && s.dataParallelOnly().feasible()
                    ? s.dataParallelOnly().eta() : null).as(p.datacenter()).isEqualTo(p.dataParallelEta());
        }

        // across datacenters: the same strategy, H, step and η
        assertThat(answer.predicted().strategy()).isEqualTo(plan.strategy());
        assertThat(answer.predicted().h()).isEqualTo(plan.diloco() ? plan.sync().h() : 1);
        assertThat(answer.predicted().eta()).isEqualTo(plan.predicted().eta());
        assertThat(answer.predicted().equalSplitEta()).isEqualTo(plan.predicted().equalSplitEta());
        assertThat(answer.predicted().stepSeconds()).isEqualTo(plan.predicted().stepSeconds());
        assertThat(answer.predicted().bubbleFraction()).isEqualTo(plan.predicted().bubbleFraction());
        return new Compared(plan, answer);
    }

    private static Map<String, StageView> stagesById(SimulationResponse answer) {
        Map<String, StageView> out = new HashMap<>();
        answer.layouts().forEach(l -> l.replicaPlans().forEach(r -> r.stages().forEach(s -> out.put(s.device(), s))));
        return out;
    }

    /** What a user would post to simulate for the same cluster and job: the spec's settings, nothing more. */
    private static SimulationRequest simulateRequest(JobSpec spec, List<InventoryDevice> devices,
                                                     List<WanLink> links) {
        List<DatacenterBody> dcs = devices.stream().map(InventoryDevice::datacenter).distinct()
                .map(id -> new DatacenterBody(id, null)).toList();
        List<LinkBody> wan = links.stream().map(l -> new LinkBody(l.a(), l.b(), l.bandwidthGbps(), l.latencyMs()))
                .toList();
        List<DeviceBody> bodies = devices.stream().map(d -> new DeviceBody(d.id(), d.datacenter(), d.nodeId(),
                d.chip(), null, null, null, null)).toList();
        ModelSpec m = spec.model();
        SyncSpec sync = spec.sync();
        JobBody job = new JobBody(ModelChoice.of(new ModelBody(m.layers(), m.dModel(), m.heads(), m.seqLen(),
                m.vocabSize())), null, null, null, spec.globalBatch(), null, spec.strategy(),
                sync == null ? null : sync.h(), sync == null ? null : sync.codec(), null, null, null, null);
        return new SimulationRequest(dcs, wan, bodies, job);
    }
}
