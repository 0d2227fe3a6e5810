package io.crosstrain.jobapi.domain;

import static io.crosstrain.jobapi.domain.Fixtures.metric;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.StepMetric;

/** Every expected figure below is worked out by hand from {@link Fixtures#threeSteps}. */
class ReportCalculatorTest {

    private final UUID job = UUID.fromString("00000000-0000-0000-0000-000000000001");
    private final Plan plan = Fixtures.plan(job, Plan.EMULATED, 50.0);

    @Test
    void figuresOfAThreeStepRun() {
        Report r = ReportCalculator.compute(job, "demo", JobState.SUCCEEDED, plan, Fixtures.threeSteps(job), null);

        assertThat(r.jobId()).isEqualTo(job);
        assertThat(r.name()).isEqualTo("demo");
        assertThat(r.state()).isEqualTo(JobState.SUCCEEDED);
        assertThat(r.mode()).isEqualTo("emulated");
        assertThat(r.strategy()).isEqualTo("sync-dp");
        assertThat(r.allocation()).isEqualTo("balanced");
        assertThat(r.planVersion()).isEqualTo(1);
        assertThat(r.steps()).isEqualTo(3);
        assertThat(r.samples()).isEqualTo(24);               // 3 steps × (6 + 2)
        assertThat(r.wallSeconds()).isEqualTo(1.2);          // 0 ms .. 1200 ms
        assertThat(r.parameters()).isEqualTo(1000);

        // batch-weighted: step 1 (6·4 + 2·2)/8 = 3.5, step 2 (6·3 + 2·1)/8 = 2.5, step 3 (6·2 + 2·2)/8 = 2.0
        assertThat(r.loss().curve()).extracting(Report.LossPoint::step).containsExactly(1, 2, 3);
        assertThat(r.loss().curve()).extracting(Report.LossPoint::loss).containsExactly(3.5, 2.5, 2.0);
        assertThat(r.loss().first()).isEqualTo(3.5);
        assertThat(r.loss().last()).isEqualTo(2.0);

        // n = 3 → W = max(1, 0) = 1: window = steps 2 and 3, wall 1200 − 1000 = 200 ms
        Report.Efficiency e = r.efficiency();
        assertThat(e.warmupSteps()).isEqualTo(1);
        assertThat(e.windowSteps()).isEqualTo(2);
        assertThat(r.devices()).hasSize(2);
        Report.DeviceFigures a = r.devices().get(0);
        Report.DeviceFigures b = r.devices().get(1);
        assertThat(a.id()).isEqualTo("dev-a");
        assertThat(a.datacenter()).isEqualTo("bj");
        assertThat(a.chip()).isEqualTo("A100-80G");
        assertThat(a.batch()).isEqualTo(6);
        assertThat(a.samplesPerSec()).isCloseTo(100.0, within(1e-9)); // 12 samples / 120 ms
        assertThat(a.busyFraction()).isCloseTo(0.6, within(1e-9));    // 120 / 200
        assertThat(b.id()).isEqualTo("dev-b");
        assertThat(b.batch()).isEqualTo(2);
        assertThat(b.samplesPerSec()).isCloseTo(50.0, within(1e-9));  // 4 samples / 80 ms
        assertThat(b.busyFraction()).isCloseTo(0.4, within(1e-9));    // 80 / 200

        assertThat(e.achievedSamplesPerSec()).isCloseTo(80.0, within(1e-9)); // 16 samples / 200 ms
        assertThat(e.idealSamplesPerSec()).isCloseTo(150.0, within(1e-9));   // 100 + 50
        assertThat(e.eta()).isCloseTo(80.0 / 150.0, within(1e-12));
        assertThat(e.communicationFraction()).isCloseTo(0.25, within(1e-12)); // (20+30+20+30) / (4 × 100)
        assertThat(e.predictedEta()).isEqualTo(0.9);
        assertThat(e.equalSplitEta()).isEqualTo(0.6);
        assertThat(e.equalSplitEtaSource()).isEqualTo("predicted");
        assertThat(e.equalSplitJobId()).isNull();

        // WAN: bj 500 + sh 700 per step, 3 steps; sync DP: 3 × 2 × 1 × 1000 × 4
        assertThat(r.wan().bytes()).isEqualTo(3600);
        assertThat(r.wan().syncDpBytes()).isEqualTo(24_000);
        assertThat(r.wan().reduction()).isCloseTo(24_000 / 3600.0, within(1e-12));

        assertThat(r.emulation()).isNotNull();
        assertThat(r.emulation().timeScale()).isEqualTo(50.0);

        assertThat(r.replicas().identical()).isTrue();
        assertThat(r.replicas().checkedSteps()).isEqualTo(2);
        assertThat(r.replicas().lastHash()).isEqualTo("h3-bbbbbbbbbbbbbbbb");
    }

    @Test
    void aSucceededBaselineSuppliesTheMeasuredEqualSplitEta() {
        UUID baselineJob = UUID.randomUUID();
        Report r = ReportCalculator.compute(job, "demo", JobState.SUCCEEDED, plan, Fixtures.threeSteps(job),
                new Report.Baseline(baselineJob, 0.42));
        assertThat(r.efficiency().equalSplitEta()).isEqualTo(0.42);
        assertThat(r.efficiency().equalSplitEtaSource()).isEqualTo("measured");
        assertThat(r.efficiency().equalSplitJobId()).isEqualTo(baselineJob);
        assertThat(ReportCalculator.measuredEta(plan, Fixtures.threeSteps(job))).isCloseTo(80.0 / 150.0,
                within(1e-12));
    }

    @Test
    void realDevicesHaveNoEmulationAndNoWanTrafficHasNoReduction() {
        Plan measured = Fixtures.plan(job, Plan.MEASURED, null);
        List<StepMetric> noWan = Fixtures.threeSteps(job).stream()
                .map(m -> new StepMetric(m.jobId(), m.planVersion(), m.deviceId(), m.datacenter(), m.chip(), m.step(),
                        m.batch(), m.loss(), m.computeMs(), m.busyMs(), m.commMs(), m.stepMs(), m.startedAtMs(),
                        m.endedAtMs(), 0, m.parameters(), m.weightsHash(), Plan.MEASURED, m.last(), null))
                .toList();
        Report r = ReportCalculator.compute(job, "demo", JobState.RUNNING, measured, noWan, null);
        assertThat(r.emulation()).isNull();
        assertThat(r.wan().bytes()).isZero();
        assertThat(r.wan().reduction()).isNull();
    }

    @Test
    void tenPercentOfTheStepsAreWarmUpAndSlowWarmUpDoesNotCount() {
        // 20 steps → W = 2. The first two are ten times slower; from step 3 on dev-a needs 60 ms and dev-b 40 ms
        // per step, both fully busy for 100 ms windows.
        List<StepMetric> metrics = new ArrayList<>();
        long t = 0;
        for (int step = 1; step <= 20; step++) {
            long len = step <= 2 ? 1000 : 100;
            double k = step <= 2 ? 10 : 1;
            metrics.add(metric(job, "dev-a", step, 6, 1.0, 60 * k, 40 * k, len, t, t + len, 0, null, step == 20));
            metrics.add(metric(job, "dev-b", step, 2, 1.0, 40 * k, 60 * k, len, t, t + len, 0, null, step == 20));
            t += len;
        }
        Report r = ReportCalculator.compute(job, "demo", JobState.SUCCEEDED, plan, metrics, null);
        assertThat(r.efficiency().warmupSteps()).isEqualTo(2);
        assertThat(r.efficiency().windowSteps()).isEqualTo(18);
        // window: 18 steps of 100 ms = 1800 ms; dev-a 108 samples / 1080 ms busy = 100/s, dev-b 36 / 720 ms = 50/s
        assertThat(r.devices().get(0).samplesPerSec()).isCloseTo(100.0, within(1e-9));
        assertThat(r.devices().get(1).samplesPerSec()).isCloseTo(50.0, within(1e-9));
        assertThat(r.devices().get(0).busyFraction()).isCloseTo(0.6, within(1e-9));
        // achieved 144 samples / 1.8 s = 80/s
        assertThat(r.efficiency().achievedSamplesPerSec()).isCloseTo(80.0, within(1e-9));
        assertThat(r.efficiency().eta()).isCloseTo(80.0 / 150.0, within(1e-12));
        assertThat(r.efficiency().communicationFraction()).isCloseTo(0.5, within(1e-12)); // (40+60)/(100+100)
        assertThat(r.wallSeconds()).isEqualTo(3.8); // 2 × 1000 ms + 18 × 100 ms
        // no hashes: nothing checked, nothing claimed
        assertThat(r.replicas().checkedSteps()).isZero();
        assertThat(r.replicas().identical()).isFalse();
    }

    @Test
    void twoStepsAreAllMeasuredAndDivergedHashesAreReported() {
        List<StepMetric> metrics = List.of(
                metric(job, "dev-a", 1, 6, 4.0, 50, 0, 100, 0, 100, 0, "same", false),
                metric(job, "dev-b", 1, 2, 2.0, 50, 0, 100, 0, 100, 0, "same", false),
                metric(job, "dev-a", 2, 6, 3.0, 50, 0, 100, 100, 200, 0, "left", true),
                metric(job, "dev-b", 2, 2, 1.0, 50, 0, 100, 100, 200, 0, "right", true));
        Report r = ReportCalculator.compute(job, "demo", JobState.FAILED, plan, metrics, null);
        assertThat(r.efficiency().warmupSteps()).isZero();
        assertThat(r.efficiency().windowSteps()).isEqualTo(2);
        // wall 200 ms; dev-a 12 / 100 ms = 120/s, dev-b 4 / 100 ms = 40/s; achieved 16 / 0.2 s = 80/s
        assertThat(r.efficiency().idealSamplesPerSec()).isCloseTo(160.0, within(1e-9));
        assertThat(r.efficiency().eta()).isCloseTo(0.5, within(1e-12));
        assertThat(r.replicas().checkedSteps()).isEqualTo(2);
        assertThat(r.replicas().identical()).isFalse();
        assertThat(r.replicas().lastHash()).isNull();
    }

    @Test
    void anErrorReportAddsNoWork() {
        List<StepMetric> metrics = new ArrayList<>(Fixtures.threeSteps(job));
        metrics.add(new StepMetric(job, 1, "dev-b", "sh", "H20", 4, 2, Double.NaN, 0, 0, 0, 0, 5000, 5000, 0, 0, null,
                "emulated", false, "device lost"));
        Report r = ReportCalculator.compute(job, "demo", JobState.FAILED, plan, metrics, null);
        assertThat(r.steps()).isEqualTo(3);
        assertThat(r.samples()).isEqualTo(24);
        assertThat(r.wallSeconds()).isEqualTo(1.2);
        assertThat(r.loss().last()).isEqualTo(2.0);
    }

    @Test
    void aDeviceWithoutBusyTimeHasNoSpeed() {
        List<StepMetric> metrics = List.of(
                metric(job, "dev-a", 1, 6, 4.0, 100, 0, 100, 0, 100, 0, null, false),
                metric(job, "dev-b", 1, 2, 2.0, 0, 0, 100, 0, 100, 0, null, false));
        Report r = ReportCalculator.compute(job, "demo", JobState.RUNNING, plan, metrics, null);
        assertThat(r.devices().get(1).samplesPerSec()).isNull();
        assertThat(r.devices().get(1).busyFraction()).isZero();
        // ideal counts only what was measured: dev-a 60/s; achieved 8 / 0.1 s = 80/s
        assertThat(r.efficiency().idealSamplesPerSec()).isCloseTo(60.0, within(1e-9));
        assertThat(r.efficiency().achievedSamplesPerSec()).isCloseTo(80.0, within(1e-9));
    }

    @Test
    void aRoundCountsWithItsCommittedSamplesEvenWhenAContributorNeverReportedIt() {
        UUID id = UUID.randomUUID();
        Plan plan = Fixtures.plan(id, Plan.EMULATED, 50.0);
        java.util.List<StepMetric> metrics = new java.util.ArrayList<>();
        for (StepMetric m : Fixtures.threeSteps(id)) {
            if (m.deviceId().equals("dev-b") && m.step() == 3) {
                continue; // dev-b died after its contribution to round 3 was summed
            }
            metrics.add(new StepMetric(m.jobId(), m.planVersion(), m.deviceId(), m.datacenter(), m.chip(), m.step(),
                    m.batch(), m.loss(), m.computeMs(), m.busyMs(), m.commMs(), m.stepMs(), m.startedAtMs(),
                    m.endedAtMs(), m.wanBytes(), m.parameters(), m.weightsHash(), m.mode(), m.last(), m.error(),
                    0.0, 1, null, 8));
        }
        assertThat(ReportCalculator.compute(id, "j", JobState.SUCCEEDED, plan, metrics, null).samples())
                .isEqualTo(24L);
        // without the round figure (older workers) only what was reported can be counted
        assertThat(ReportCalculator.compute(id, "j", JobState.SUCCEEDED, plan,
                Fixtures.threeSteps(id).subList(0, 5), null).samples()).isEqualTo(22L);
    }

    @Test
    void replicaHashesAreComparedWithinEveryPlanVersionNotOnlyTheLatest() {
        UUID id = UUID.randomUUID();
        Plan v1 = Fixtures.plan(id, Plan.EMULATED, 50.0);
        Plan v2 = v1.next(List.of("bj"), List.of(v1.devices().get(0)), v1.predicted(), 3, "lost [dev-b]", true);
        List<StepMetric> metrics = new ArrayList<>();
        // under v1 the replicas disagreed at step 1; under v2 dev-a alone agrees with itself
        metrics.add(metric(id, "dev-a", 1, 6, 4.0, 100, 10, 200, 0, 200, 0, "x-aaaaaaaaaaaaaaaaaa", false));
        metrics.add(metric(id, "dev-b", 1, 2, 2.0, 100, 10, 200, 0, 200, 0, "y-bbbbbbbbbbbbbbbbbb", false));
        StepMetric late = metric(id, "dev-a", 3, 8, 2.0, 60, 20, 100, 1100, 1200, 0, "z-cccccccccccccccccc", true);
        metrics.add(new StepMetric(id, 2, late.deviceId(), late.datacenter(), late.chip(), late.step(), late.batch(),
                late.loss(), late.computeMs(), late.busyMs(), late.commMs(), late.stepMs(), late.startedAtMs(),
                late.endedAtMs(), late.wanBytes(), late.parameters(), late.weightsHash(), late.mode(), late.last(),
                null));

        Report latestOnly = ReportCalculator.compute(id, "j", JobState.SUCCEEDED, v2, metrics, null);
        assertThat(latestOnly.replicas().identical()).isTrue(); // what a check of the latest version alone sees

        Report r = ReportCalculator.compute(id, "j", JobState.SUCCEEDED, v2, List.of(v1, v2), metrics, null);
        assertThat(r.replicas().checkedSteps()).isEqualTo(2);
        assertThat(r.replicas().identical()).isFalse();
    }

    @Test
    void underEmulationTheReportSaysItsSpeedsArePacedAndWhatEtaMeasures() {
        Report emulated = ReportCalculator.compute(job, "demo", JobState.SUCCEEDED, plan, Fixtures.threeSteps(job),
                null);
        assertThat(emulated.devices()).extracting(Report.DeviceFigures::speedKind).containsOnly(Report.SPEED_PACED);
        assertThat(emulated.efficiency().etaMeasures()).isEqualTo(Report.ETA_EMULATED)
                .contains("synchronisation").contains("emulated chips");
        Report onDevice = ReportCalculator.compute(job, "demo", JobState.SUCCEEDED,
                Fixtures.plan(job, Plan.MEASURED, null), Fixtures.threeSteps(job), null);
        assertThat(onDevice.devices()).extracting(Report.DeviceFigures::speedKind)
                .containsOnly(Report.SPEED_MEASURED);
        assertThat(onDevice.efficiency().etaMeasures()).isEqualTo(Report.ETA_MEASURED);
    }

    // ---------------------------------------------------------------- pipelines

    /** Every figure below is worked out by hand from {@link Fixtures#pipelinedSteps}; k = 10. */
    @Test
    void figuresOfAPipelinedRun() {
        Plan p = Fixtures.pipelinedPlan(job);
        Report r = ReportCalculator.compute(job, "pipe", JobState.SUCCEEDED, p, Fixtures.pipelinedSteps(job, 0),
                null);

        assertThat(r.steps()).isEqualTo(3);
        // each replica once per step: bj-r0 6 (not 12: both stages report it) + w 2, 3 steps
        assertThat(r.samples()).isEqualTo(24);
        assertThat(r.parameters()).isEqualTo(1000); // the whole model's, as every stage reports it
        // loss over the devices with a finite loss (p1 for bj-r0, w): (6·4 + 2·2)/8, (6·3 + 2·1)/8, (6·2 + 2·2)/8
        assertThat(r.loss().curve()).extracting(Report.LossPoint::loss).containsExactly(3.5, 2.5, 2.0);
        assertThat(r.loss().last()).isEqualTo(2.0);

        // window: steps 2 and 3, wall 200 ms
        Report.Efficiency e = r.efficiency();
        assertThat(r.devices()).extracting(Report.DeviceFigures::id).containsExactly("p0", "p1", "w");
        Report.DeviceFigures p0 = r.devices().get(0);
        Report.DeviceFigures p1 = r.devices().get(1);
        Report.DeviceFigures w = r.devices().get(2);
        // a stage's whole-model speed: mean of its reported chip speeds × k: p0 (20 + 30)/2 · 10, p1 10 · 10
        assertThat(p0.samplesPerSec()).isCloseTo(250.0, within(1e-9));
        assertThat(p1.samplesPerSec()).isCloseTo(100.0, within(1e-9));
        assertThat(w.samplesPerSec()).isCloseTo(50.0, within(1e-9));     // 4 samples / 80 ms busy
        assertThat(p0.busyFraction()).isCloseTo(0.4, within(1e-9));      // 80 / 200
        assertThat(p1.busyFraction()).isCloseTo(0.7, within(1e-9));      // 140 / 200
        assertThat(w.busyFraction()).isCloseTo(0.4, within(1e-9));
        assertThat(r.devices()).extracting(Report.DeviceFigures::speedKind).containsOnly(Report.SPEED_PACED);
        assertThat(p0.replica()).isEqualTo("bj-r0");
        assertThat(p0.stage()).isZero();
        assertThat(p0.layers()).isEqualTo("0-0");
        assertThat(p1.stage()).isEqualTo(1);
        assertThat(p1.layers()).isEqualTo("1-1");
        assertThat(p0.batch()).isEqualTo(6);
        assertThat(w.replica()).isNull();
        assertThat(w.stage()).isNull();
        assertThat(w.layers()).isNull();

        assertThat(e.idealSamplesPerSec()).isCloseTo(400.0, within(1e-9));    // 250 + 100 + 50
        assertThat(e.achievedSamplesPerSec()).isCloseTo(80.0, within(1e-9));  // (6 + 2) · 2 / 0.2 s
        assertThat(e.eta()).isCloseTo(0.2, within(1e-12));
        assertThat(e.communicationFraction()).isCloseTo(0.2, within(1e-12));  // (40 + 20 + 60) / 600
        assertThat(e.predictedBubbleFraction()).isEqualTo(0.25);
        assertThat(e.predictedEta()).isEqualTo(0.75);

        // bj-r0's busiest stage p1 is busy 0.7 of the window: bubble 0.3; w is no pipeline
        assertThat(r.bubbleFraction()).isCloseTo(0.3, within(1e-12));

        assertThat(r.layouts()).extracting(Report.Layout::datacenter).containsExactly("bj", "sh");
        Report.Layout bj = r.layouts().get(0);
        assertThat(bj.stages()).isEqualTo(2);
        assertThat(bj.microBatchSize()).isEqualTo(2);
        assertThat(bj.predictedStepSeconds()).isEqualTo(0.5);
        assertThat(bj.predictedBubbleFraction()).isEqualTo(0.25);
        assertThat(bj.predictedEta()).isEqualTo(0.8);
        assertThat(bj.bubbleFraction()).isCloseTo(0.3, within(1e-12));
        assertThat(bj.idle()).containsExactly("bj-idle");
        assertThat(bj.replicas()).hasSize(1);
        Report.ReplicaLayout r0 = bj.replicas().get(0);
        assertThat(r0.id()).isEqualTo("bj-r0");
        assertThat(r0.batch()).isEqualTo(6);
        assertThat(r0.microBatches()).isEqualTo(3);
        assertThat(r0.stepSeconds()).isCloseTo(0.1, within(1e-12));
        assertThat(r0.bubbleFraction()).isCloseTo(0.3, within(1e-12));
        assertThat(r0.stages()).extracting(Report.StageFigures::device).containsExactly("p0", "p1");
        Report.StageFigures s0 = r0.stages().get(0);
        assertThat(s0.index()).isZero();
        assertThat(s0.chip()).isEqualTo("H20");
        assertThat(s0.firstLayer()).isZero();
        assertThat(s0.lastLayer()).isZero();
        assertThat(s0.layers()).isEqualTo("0-0");
        assertThat(s0.memoryBytes()).isEqualTo(4e9);
        assertThat(s0.capacityBytes()).isEqualTo(8e9);
        assertThat(s0.busyFraction()).isCloseTo(0.4, within(1e-9));
        assertThat(r0.stages().get(1).busyFraction()).isCloseTo(0.7, within(1e-9));
        Report.Layout sh = r.layouts().get(1);
        assertThat(sh.stages()).isEqualTo(1);
        assertThat(sh.bubbleFraction()).isNull();
        assertThat(sh.predictedEta()).isEqualTo(1.0);
        assertThat(sh.replicas()).singleElement().satisfies(rep -> {
            assertThat(rep.id()).isEqualTo("w");
            assertThat(rep.bubbleFraction()).isNull();
            assertThat(rep.stages()).singleElement().satisfies(st -> {
                assertThat(st.device()).isEqualTo("w");
                assertThat(st.layers()).isNull();
                assertThat(st.memoryBytes()).isNull();
                assertThat(st.busyFraction()).isCloseTo(0.4, within(1e-9));
            });
        });

        assertThat(r.emulation().timeScale()).isEqualTo(10.0);
        assertThat(r.emulation().memoryScale()).isEqualTo(0.5);
        assertThat(r.wan().bytes()).isEqualTo(3600); // bj 500 + sh 700, 3 steps

        // one device per range: each group compares its own hash with itself at steps 1 and 3
        Report.Replicas replicas = r.replicas();
        assertThat(replicas.identical()).isTrue();
        assertThat(replicas.checkedSteps()).isEqualTo(2);
        assertThat(replicas.lastHash()).isEqualTo("w-3"); // the whole replicas' hash
        assertThat(replicas.groups()).extracting(Report.ReplicaGroup::range)
                .containsExactly("whole", "layers 0-0", "layers 1-1");
        assertThat(replicas.groups()).extracting(Report.ReplicaGroup::lastHash).containsExactly("w-3", "s0-3", "s1-3");
        assertThat(replicas.groups().get(1).devices()).containsExactly("p0");
        assertThat(replicas.groups()).extracting(Report.ReplicaGroup::checkedSteps).containsOnly(2);
    }

    @Test
    void aPipelinedRoundCountsItsCommittedSamplesOnce() {
        Plan p = Fixtures.pipelinedPlan(job);
        Report r = ReportCalculator.compute(job, "pipe", JobState.SUCCEEDED, p, Fixtures.pipelinedSteps(job, 8),
                null);
        assertThat(r.samples()).isEqualTo(24);
        assertThat(r.efficiency().achievedSamplesPerSec()).isCloseTo(80.0, within(1e-9));
    }

    @Test
    void aStageWithoutAReportedSpeedCountsTheSpeedThePlanPacesItAt() {
        // metrics read back from the store carry no speed (0): p0 is paced at 20, p1 at 10 chip samples/s, × k = 10
        Plan p = Fixtures.pipelinedPlan(job);
        List<StepMetric> noSpeed = Fixtures.pipelinedSteps(job, 0).stream()
                .map(m -> new StepMetric(m.jobId(), m.planVersion(), m.deviceId(), m.datacenter(), m.chip(), m.step(),
                        m.batch(), m.loss(), m.computeMs(), m.busyMs(), m.commMs(), m.stepMs(), m.startedAtMs(),
                        m.endedAtMs(), m.wanBytes(), m.parameters(), m.weightsHash(), m.mode(), m.last(), null))
                .toList();
        Report r = ReportCalculator.compute(job, "pipe", JobState.SUCCEEDED, p, noSpeed, null);
        assertThat(r.devices().get(0).samplesPerSec()).isCloseTo(200.0, within(1e-9));
        assertThat(r.devices().get(1).samplesPerSec()).isCloseTo(100.0, within(1e-9));
        assertThat(r.efficiency().idealSamplesPerSec()).isCloseTo(350.0, within(1e-9));
        assertThat(r.efficiency().eta()).isCloseTo(80.0 / 350.0, within(1e-12));
    }

    @Test
    void aPlanWithoutPipelinesHasNoBubbleAndOneWholeReplicaGroup() {
        Report r = ReportCalculator.compute(job, "demo", JobState.SUCCEEDED, plan, Fixtures.threeSteps(job), null);
        assertThat(r.bubbleFraction()).isNull();
        assertThat(r.efficiency().predictedBubbleFraction()).isNull();
        assertThat(r.emulation().memoryScale()).isEqualTo(1.0);
        assertThat(r.devices()).allSatisfy(d -> assertThat(d.replica()).isNull());
        // the plan states no layouts: one per datacenter read off its devices, without predicted figures
        assertThat(r.layouts()).extracting(Report.Layout::datacenter).containsExactly("bj", "sh");
        assertThat(r.layouts()).allSatisfy(l -> {
            assertThat(l.stages()).isEqualTo(1);
            assertThat(l.predictedEta()).isNull();
            assertThat(l.bubbleFraction()).isNull();
            assertThat(l.replicas()).singleElement().satisfies(rep -> assertThat(rep.stages()).hasSize(1));
        });
        assertThat(r.layouts().get(0).replicas().get(0).stages().get(0).busyFraction()).isCloseTo(0.6, within(1e-9));
        assertThat(r.replicas().groups()).singleElement().satisfies(g -> {
            assertThat(g.range()).isEqualTo("whole");
            assertThat(g.devices()).containsExactly("dev-a", "dev-b");
            assertThat(g.checkedSteps()).isEqualTo(2);
            assertThat(g.lastHash()).isEqualTo("h3-bbbbbbbbbbbbbbbb");
        });
    }

    @Test
    void hashesAreComparedPerParameterRangeNotAcrossRanges() {
        UUID id = UUID.randomUUID();
        Plan p = Fixtures.twoPipelinesPlan(id);
        // every range agrees with itself, and the ranges differ from each other: identical
        List<StepMetric> agreeing = new ArrayList<>();
        for (String[] d : new String[][] {{"p0", "bj", "s0"}, {"q0", "bj", "s0"}, {"p1", "bj", "s1"},
                {"q1", "bj", "s1"}, {"w1", "bj", "w"}, {"w2", "sh", "w"}}) {
            agreeing.add(Fixtures.stageMetric(id, d[0], d[1], 1, 6, 1.0, 50, 0, 100, 0, 100, 0, d[2], false, 10, 16));
        }
        Report ok = ReportCalculator.compute(id, "j", JobState.RUNNING, p, agreeing, null);
        assertThat(ok.replicas().identical()).isTrue();
        assertThat(ok.replicas().checkedSteps()).isEqualTo(1);
        assertThat(ok.replicas().lastHash()).isEqualTo("w");
        assertThat(ok.replicas().groups()).extracting(Report.ReplicaGroup::range)
                .containsExactly("whole", "layers 0-0", "layers 1-1");
        assertThat(ok.replicas().groups().get(0).devices()).containsExactly("w1", "w2");
        assertThat(ok.replicas().groups().get(1).devices()).containsExactly("p0", "q0");
        assertThat(ok.replicas().groups()).allSatisfy(g -> assertThat(g.identical()).isTrue());
        // two replicas of two stages: bj-r0 and bj-r1 count once each (6 + 6) and w1, w2 (2 + 2)
        assertThat(ok.samples()).isEqualTo(16);

        // q0's block 0 differs from p0's: that group, and so the run, is not identical
        List<StepMetric> diverged = new ArrayList<>(agreeing);
        diverged.set(1, Fixtures.stageMetric(id, "q0", "bj", 1, 6, 1.0, 50, 0, 100, 0, 100, 0, "s0-other", false, 10,
                16));
        Report bad = ReportCalculator.compute(id, "j", JobState.FAILED, p, diverged, null);
        assertThat(bad.replicas().identical()).isFalse();
        assertThat(bad.replicas().lastHash()).isEqualTo("w"); // the whole replicas still agreed
        assertThat(bad.replicas().groups().get(1).identical()).isFalse();
        assertThat(bad.replicas().groups().get(1).lastHash()).isNull();
        assertThat(bad.replicas().groups().get(2).identical()).isTrue();
    }

    @Test
    void aStepRedoneByALaterPlanVersionCountsOnlyThatVersionsMetrics() {
        // v1 ran steps 1 and 2 (its step 2 with loss 9 and its own hashes); v2 resumed after step 1 and redid 2, 3
        List<StepMetric> metrics = new ArrayList<>();
        for (StepMetric m : Fixtures.threeSteps(job)) {
            if (m.step() == 1) {
                metrics.add(m);
            } else if (m.step() == 2) {
                metrics.add(new StepMetric(job, 1, m.deviceId(), m.datacenter(), m.chip(), 2, m.batch(), 9.0,
                        m.computeMs(), m.busyMs(), m.commMs(), m.stepMs(), 300, 400, m.wanBytes(), m.parameters(),
                        "lost", m.mode(), false, null));
            }
            if (m.step() >= 2) {
                metrics.add(Fixtures.inVersion(m, 2));
            }
        }
        Plan v2 = plan.next(plan.datacenters(), plan.devices(), plan.predicted(), 2, "resume", true);
        Report r = ReportCalculator.compute(job, "j", JobState.SUCCEEDED, v2, List.of(plan, v2), metrics, null);
        assertThat(r.steps()).isEqualTo(3);
        assertThat(r.samples()).isEqualTo(24);
        assertThat(r.loss().curve()).extracting(Report.LossPoint::loss).containsExactly(3.5, 2.5, 2.0);
        assertThat(r.replicas().checkedSteps()).isEqualTo(2); // v1 at step 1, v2 at step 3
        assertThat(r.wallSeconds()).isEqualTo(1.2);           // 0 ms .. 1200 ms
        assertThat(r.efficiency().achievedSamplesPerSec()).isCloseTo(80.0, within(1e-9));
    }
}
