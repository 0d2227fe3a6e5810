package io.crosstrain.bench.wan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.junit.jupiter.api.Test;

class WanReportTest {

    @Test
    void wanBytesCountEveryDatacenterSendingToEveryOther() {
        assertThat(WanReport.wanBytes(3, 400, 10)).isEqualTo(3 * 2 * 400 * 10);
        assertThat(WanReport.wanBytes(1, 400, 10)).isZero();
    }

    @Test
    void rowsCompareAgainstSyncDpAtItsSampleCountAndItsOwnTimeToTarget() {
        InnerSettings inner = new InnerSettings(0.003, 0.01, 10);
        // sync DP: 100 steps of 30 samples, r = 10 so a step costs 11 units; its loss dips to the final value at 80
        SyncDpRun.Result sync = new SyncDpRun.Result("sync", inner, List.of(
                new EvalPoint(50, 1500, 50, 550, 2.0),
                new EvalPoint(80, 2400, 80, 880, 1.5),
                new EvalPoint(100, 3000, 100, 1100, 1.5)), 1.5, 100, 3000, 100);
        DiLoCoRun.Config config = new DiLoCoRun.Config(50, DeltaCodec.FP32, inner, 0.7, 0.9);
        // H = 50, fp32: a round costs 50 + 10 units
        DiLoCoRun.Result diloco = new DiLoCoRun.Result(config, List.of(
                new EvalPoint(50, 1500, 1, 60, 2.2),
                new EvalPoint(100, 3000, 2, 120, 1.8),
                new EvalPoint(150, 4500, 3, 180, 1.45)), new EvalPoint(100, 3000, 2, 120, 1.8), 60, 4000);

        List<WanReport.Row> rows = WanReport.rows(sync, List.of(diloco), 3, 1000, 0.5);

        WanReport.Row s = rows.get(0);
        assertThat(s.wanBytes()).isEqualTo(6L * 4000 * 100);
        assertThat(s.timeToTargetSeconds()).isEqualTo(880 * 0.5);
        WanReport.Row d = rows.get(1);
        assertThat(d.wanBytes()).isEqualTo(6L * 4000 * 2);
        assertThat(d.reductionVsSyncDp()).isEqualTo(50.0);
        assertThat(d.finalLoss()).isEqualTo(1.8);
        assertThat(d.lossGapPct()).isCloseTo(20.0, within(1e-9));
        assertThat(d.timeToTargetSeconds()).isEqualTo(180 * 0.5);
        assertThat(d.timeToTargetSpeedup()).isCloseTo(880.0 / 180, within(1e-9));
        assertThat(d.samplesToTarget()).isEqualTo(4500);
    }

    @Test
    void aRowThatNeverReachesTheTargetHasNoTime() {
        InnerSettings inner = new InnerSettings(0.003, 0.01, 10);
        SyncDpRun.Result sync = new SyncDpRun.Result("sync", inner, List.of(new EvalPoint(10, 300, 10, 110, 1.0)),
                1.0, 10, 300, 10);
        DiLoCoRun.Config config = new DiLoCoRun.Config(10, DeltaCodec.FP32, inner, 0.7, 0.9);
        EvalPoint only = new EvalPoint(10, 300, 1, 20, 1.2);
        DiLoCoRun.Result diloco = new DiLoCoRun.Result(config, List.of(only), only, 20, 4000);

        WanReport.Row d = WanReport.rows(sync, List.of(diloco), 3, 1000, 1.0).get(1);

        assertThat(d.timeToTargetSeconds()).isNull();
        assertThat(d.timeToTargetSpeedup()).isNull();
    }
}
