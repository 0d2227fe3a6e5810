package io.crosstrain.relay.messaging;

import org.springframework.stereotype.Component;

import io.crosstrain.contracts.Topics;
import io.crosstrain.relay.config.RelayProperties;
import io.crosstrain.relay.domain.RoundAggregator;
import io.crosstrain.relay.domain.RoundAggregator.Settings;
import io.crosstrain.relay.domain.RoundAggregator.Stage;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** The two aggregation stages of this relay, wired to Kafka topics and metrics. */
@Component
public class RelayStages {

    private final RoundAggregator<Origin> intraDc;
    private final RoundAggregator<Origin> crossDc;
    private final RelayMetrics metrics;

    RelayStages(RelayProperties relay, GradientPublisher publisher, MeterRegistry registry) {
        String dc = relay.datacenter();
        metrics = new RelayMetrics(registry);
        publisher.onFailure(metrics::publishFailed);
        Settings settings = new Settings(relay.completedMemory(), relay.maxBuffered().toBytes());
        intraDc = new RoundAggregator<>(Stage.INTRA_DC, dc, settings,
                new StageSink(Stage.INTRA_DC, Topics.gradUp(dc), Topics.GRAD_WAN, publisher, metrics));
        crossDc = new RoundAggregator<>(Stage.CROSS_DC, dc, settings,
                new StageSink(Stage.CROSS_DC, Topics.GRAD_WAN, Topics.gradDown(dc), publisher, metrics));
        for (Stage s : Stage.values()) {
            RoundAggregator<?> a = of(s);
            Gauge.builder("relay.chunks.open", a, RoundAggregator::openChunks).tag("stage", RelayMetrics.tag(s))
                    .description("chunks waiting for contributions").register(registry);
            Gauge.builder("relay.buffer.bytes", a, RoundAggregator::bufferedBytes).tag("stage", RelayMetrics.tag(s))
                    .description("bytes of chunks waiting for their plan").baseUnit("bytes").register(registry);
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
