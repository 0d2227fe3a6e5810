package io.crosstrain.relay.messaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.RoundLedgerEntry;
import io.crosstrain.contracts.Topics;
import io.crosstrain.relay.domain.RoundAggregator.Stage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

class RelayMetricsTest {

    static RoundLedgerEntry committed(String kind) {
        return new RoundLedgerEntry(UUID.randomUUID(), 3, 1, "b", RoundLedgerEntry.COMMITTED, kind, 14,
                List.of("a", "b"), List.of(), 2, 4096, 0);
    }

    @Test
    void theCrossDcSinkRecordsRoundLatencyAndWanBytesPerLink() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RelayMetrics metrics = new RelayMetrics(registry, "b");
        StageSink sink = new StageSink(Stage.CROSS_DC, "grad-wan", "grad-down-b", mock(GradientPublisher.class),
                metrics, mock(RoundLedger.class));

        sink.wanReceived("a", 1000);
        sink.wanReceived("a", 24);
        sink.wanReceived("c", 7);
        sink.roundCommitted(committed(RoundLedgerEntry.SYNC), 1200);
        sink.roundCommitted(committed(RoundLedgerEntry.SYNC), 800);

        assertThat(registry.get(RelayMetrics.WAN_BYTES).tags("from", "a", "to", "b").counter().count())
                .isEqualTo(1024.0);
        assertThat(registry.get(RelayMetrics.WAN_BYTES).tags("from", "c", "to", "b").counter().count())
                .isEqualTo(7.0);
        var latency = registry.get(RelayMetrics.ROUND_LATENCY).tags("stage", "cross-dc", "kind", "sync").timer();
        assertThat(latency.count()).isEqualTo(2);
        assertThat(latency.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(2000.0);
        assertThat(latency.max(TimeUnit.MILLISECONDS)).isEqualTo(1200.0);
    }

    @Test
    void deliveredCountsAcknowledgedChunksByWhereTheyWentAndNothingElse() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RelayMetrics metrics = new RelayMetrics(registry, "b");
        for (String topic : List.of(Topics.gradDown("b"), Topics.gradDown("b"), Topics.GRAD_WAN, Topics.ROUND_LEDGER,
                Topics.deadLetter(Topics.gradUp("b")), Topics.deadLetter(Topics.GRAD_WAN))) {
            metrics.delivered(topic);
        }
        assertThat(registry.get(RelayMetrics.DELIVERED).tag("to", "down").counter().count()).isEqualTo(2.0);
        assertThat(registry.get(RelayMetrics.DELIVERED).tag("to", "wan").counter().count()).isEqualTo(1.0);
    }

    @Test
    void prometheusRendersTheNamesTheDashboardQueries() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RelayMetrics metrics = new RelayMetrics(registry, "b");
        metrics.wanReceived("a", 512);
        metrics.roundCommitted("cross-dc", RoundLedgerEntry.OUTER, 40);

        String scrape = registry.scrape();
        assertThat(scrape).contains("crosstrain_relay_wan_bytes_total{from=\"a\",to=\"b\"} 512.0");
        assertThat(scrape).contains("crosstrain_relay_round_latency_seconds_bucket{kind=\"outer\",stage=\"cross-dc\",le=");
        assertThat(scrape).contains("crosstrain_relay_round_latency_seconds_count{kind=\"outer\",stage=\"cross-dc\"} 1");
    }
}
