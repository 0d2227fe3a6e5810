package io.crosstrain.relay.messaging;

import java.time.Duration;
import java.util.List;


import org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

import io.crosstrain.contracts.Topics;
import io.crosstrain.relay.config.RelayProperties;
import io.crosstrain.relay.domain.AdaptiveDeadline;
import io.crosstrain.relay.domain.QuantizingWanEncoder;
import io.crosstrain.relay.domain.RoundAggregator;
import io.crosstrain.relay.domain.RoundAggregator.Settings;
import io.crosstrain.relay.domain.RoundAggregator.Stage;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** The two aggregation stages of this relay, wired to Kafka topics and metrics. */
@Component
public class RelayStages {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RelayStages.class);

    private final RoundAggregator<Origin> intraDc;
    private final RoundAggregator<Origin> crossDc;
    private final RelayMetrics metrics;

    RelayStages(RelayProperties relay, GradientPublisher publisher, MeterRegistry registry, JsonMapper json,
                KafkaConnectionDetails kafka, KafkaProperties kafkaProperties) {
        String dc = relay.datacenter();
        metrics = new RelayMetrics(registry, dc);
        publisher.onFailure(metrics::publishFailed);
        publisher.onDelivered(metrics::delivered);
        WanLinks links = new WanLinks(dc, new AdaptiveDeadline(relay.deadline().window(), relay.deadline().minSamples(),
                relay.deadline().k(), relay.deadline().floor().toMillis()));
        publisher.wanRetry(links.uplinkRetry());
        RoundLedger ledger = new RoundLedger(dc, publisher, json, metrics);
        Settings settings = new Settings(relay.completedMemory(), relay.maxBuffered().toBytes());
        StageSink intraSink = new StageSink(Stage.INTRA_DC, Topics.gradUp(dc), Topics.gradDown(dc), publisher,
                metrics, ledger);
        intraDc = new RoundAggregator<>(Stage.INTRA_DC, dc, settings, intraSink)
                .wanEncoder(new QuantizingWanEncoder());
        crossDc = new RoundAggregator<>(Stage.CROSS_DC, dc, settings,
                new StageSink(Stage.CROSS_DC, Topics.GRAD_WAN, Topics.gradDown(dc), publisher, metrics, ledger))
                .wanDelay(links)
                .lateness(links, System::currentTimeMillis);
        // outer-round partials of a plan with this datacenter alone (other rounds of such plans go down from the
        // intra-DC stage); the chunk completes inside this call (one contributor), so nothing is held past the
        // up-stage's offsets
        intraSink.sole(o -> {
            metrics.of(Stage.CROSS_DC).in.increment();
            crossDc.offer(o.key(), o.record(), Origin.local(Topics.GRAD_WAN), o.readyAtMs(), o.stop());
        });
        // a restarted relay first learns which rounds it already delivered: none is delivered or committed twice
        if (relay.replayLedger()) {
            // at the servers its connection names, with the service's own consumer settings (its login among them)
            List<RoundLedger.Closed> closed = ledger.readBack(String.join(",",
                    kafka.getConsumer().getBootstrapServers()), kafkaProperties.buildConsumerProperties(),
                    Duration.ofSeconds(30));
            for (RoundLedger.Closed c : closed) {
                intraDc.markCommitted(c.jobId(), c.planVersion(), c.round());
                crossDc.markCommitted(c.jobId(), c.planVersion(), c.round());
            }
            if (!closed.isEmpty()) {
                log.info("round ledger: {} rounds of datacenter {} already closed", closed.size(), dc);
            }
        }
        for (Stage s : Stage.values()) {
            RoundAggregator<?> a = of(s);
            Gauge.builder("relay.chunks.open", a, RoundAggregator::openChunks).tag("stage", RelayMetrics.tag(s))
                    .description("chunks waiting for contributions").register(registry);
            Gauge.builder("relay.buffer.bytes", a, RoundAggregator::bufferedBytes).tag("stage", RelayMetrics.tag(s))
                    .description("bytes of chunks waiting for their plan").baseUnit("bytes").register(registry);
            Gauge.builder("relay.jobs", a, RoundAggregator::jobs).tag("stage", RelayMetrics.tag(s))
                    .description("jobs whose plans this stage holds (ended jobs are forgotten)").register(registry);
            Gauge.builder("relay.rounds.open", a, RoundAggregator::openRounds).tag("stage", RelayMetrics.tag(s))
                    .description("rounds with chunks sent and their ledger line not yet written").register(registry);
            Gauge.builder("relay.encoder.jobs", a, RoundAggregator::encoderJobs).tag("stage", RelayMetrics.tag(s))
                    .description("jobs whose WAN error-feedback residuals this stage holds").register(registry);
        }
    }

    public RoundAggregator<Origin> intraDc() {
        return intraDc;
    }

    public RoundAggregator<Origin> crossDc() {
        return crossDc;
    }

    RoundAggregator<Origin> of(Stage s) {
        return s == Stage.INTRA_DC ? intraDc : crossDc;
    }

    OffsetCommitter committer(Stage s) {
        return new OffsetCommitter(of(s));
    }

    void in(Stage s) {
        metrics.of(s).in.increment();
    }
}
