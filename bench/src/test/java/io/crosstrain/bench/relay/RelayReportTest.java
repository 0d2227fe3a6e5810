package io.crosstrain.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class RelayReportTest {

    static final RelayReport.Shape SHAPE = new RelayReport.Shape(4, 8, 16, 1, 8, 524_230, 100_000_000L, false);

    static PassTiming pass(String kind, boolean warmup, double seconds) {
        long nanos = (long) (seconds * 1e9);
        return new PassTiming(kind, warmup, 100_000_000L, nanos / 2, nanos, Map.of(ThreadCpu.BROKER, nanos), 0);
    }

    @Test
    void ratioIsTheRelaysMedianOverRawKafkasAndWarmUpDoesNotCount() {
        RelayReport report = new RelayReport(SHAPE, List.of(
                pass(PassTiming.RAW, true, 100), pass(PassTiming.RELAY, true, 0.01),
                pass(PassTiming.RAW, false, 1.0), pass(PassTiming.RELAY, false, 2.0),
                pass(PassTiming.RAW, false, 4.0), pass(PassTiming.RELAY, false, 1.0),
                pass(PassTiming.RAW, false, 2.0), pass(PassTiming.RELAY, false, 2.5)));

        Map<String, Object> json = report.json();

        assertThat(json).containsKeys("relayMBps", "rawKafkaMBps", "ratio");
        assertThat((double) json.get("rawKafkaMBps")).isCloseTo(50.0, within(1e-9));
        assertThat((double) json.get("relayMBps")).isCloseTo(50.0, within(1e-9));
        assertThat((double) json.get("ratio"))
                .isCloseTo((double) json.get("relayMBps") / (double) json.get("rawKafkaMBps"), within(1e-12));
    }

    @Test
    void aSlowerRelayHasARatioBelowOne() {
        RelayReport report = new RelayReport(SHAPE, List.of(
                pass(PassTiming.RAW, false, 1.0), pass(PassTiming.RELAY, false, 1.25)));

        assertThat(report.ratio()).isCloseTo(0.8, within(1e-9));
        assertThat(report.cpuMillisPerMb(PassTiming.RELAY).get(ThreadCpu.BROKER)).isCloseTo(12.5, within(1e-9));
        assertThat(report.table()).anySatisfy(line -> assertThat(line).contains("ratio").contains("0.800"));
    }

    @Test
    void pairRatiosCompareEachRelayPassWithTheRawPassBeforeIt() {
        // load doubles between the pairs: each pair still says the relay is half as fast
        RelayReport report = new RelayReport(SHAPE, List.of(
                pass(PassTiming.RAW, false, 1.0), pass(PassTiming.RELAY, false, 2.0),
                pass(PassTiming.RAW, false, 2.0), pass(PassTiming.RELAY, false, 4.0),
                pass(PassTiming.RAW, false, 4.0), pass(PassTiming.RELAY, false, 8.0)));

        assertThat(report.pairRatio()).isCloseTo(0.5, within(1e-9));
        assertThat(report.ratio()).isCloseTo(0.5, within(1e-9));
        assertThat(report.json()).containsEntry("pairRatioMedian", report.pairRatio());
    }

    @Test
    void warmUpPassesShowAsOneLinePerKindWithTheirRangeAndJitTrend() {
        RelayReport report = new RelayReport(SHAPE, List.of(
                new PassTiming(PassTiming.RAW, true, 100_000_000L, 1, 1_000_000_000L, Map.of(), 900),
                pass(PassTiming.RELAY, true, 2.0),
                new PassTiming(PassTiming.RAW, true, 100_000_000L, 1, 500_000_000L, Map.of(), 30),
                pass(PassTiming.RELAY, true, 2.0),
                pass(PassTiming.RAW, false, 1.0), pass(PassTiming.RELAY, false, 1.25)));

        List<String> table = report.table();

        assertThat(table).filteredOn(line -> line.startsWith("  warm-up")).hasSize(2);
        assertThat(table).anySatisfy(line -> assertThat(line).contains("warm-up").contains("raw")
                .contains("100.0-200.0").contains("2 passes; JIT ms in the first 900, in the last 30"));
        // counted passes keep a row each; the warm-up passes do not
        assertThat(table).filteredOn(line -> line.matches("\\s+1\\s+(raw|relay)\\s.*")).hasSize(2);
        assertThat(table).anySatisfy(line -> assertThat(line).contains("1/4 of the grad-up bytes"));
    }

    @Test
    void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
        assertThat(RelayReport.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
        assertThat(RelayReport.median(new double[] {5, 1, 3})).isEqualTo(3);
    }
}
