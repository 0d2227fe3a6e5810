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
}
