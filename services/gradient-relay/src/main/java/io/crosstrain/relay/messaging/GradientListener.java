package io.crosstrain.relay.messaging;

import java.nio.ByteBuffer;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.springframework.context.event.EventListener;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.event.ListenerContainerIdleEvent;
import org.springframework.stereotype.Component;

import io.crosstrain.codec.ChunkHeaders;
import io.crosstrain.contracts.RoundStop;
import io.crosstrain.contracts.Topics;
import io.crosstrain.relay.domain.RoundAggregator.Stage;

/**
 * Consumes this datacenter's grad-up chunks (group {@code relay-<dc>-up}) and every datacenter's partials on
 * grad-wan, its own included (group {@code relay-<dc>}, unique per relay, so every relay reads every partial). Each topic has its own container thread; offsets are committed by an
 * {@link OffsetCommitter} per stage (the container factory runs in manual ack mode), also when the topic goes idle.
 */
@Component
class GradientListener {

    static final String UP_LISTENER = "relay-up";
    static final String WAN_LISTENER = "relay-wan";

    private final RelayStages stages;
    private final OffsetCommitter upCommitter;
    private final OffsetCommitter wanCommitter;

    GradientListener(RelayStages stages) {
        this.stages = stages;
        this.upCommitter = stages.committer(Stage.INTRA_DC);
        this.wanCommitter = stages.committer(Stage.CROSS_DC);
    }

    @KafkaListener(id = UP_LISTENER,
            topics = "#{T(io.crosstrain.contracts.Topics).gradUp('${crosstrain.relay.datacenter}')}",
            groupId = "relay-${crosstrain.relay.datacenter}-up",
            clientIdPrefix = "relay-${crosstrain.relay.datacenter}-up",
            containerFactory = "gradListenerFactory")
    void onUp(ConsumerRecord<String, ByteBuffer> record, Consumer<?, ?> consumer) {
        Origin origin = Origin.of(record);
        stages.in(Stage.INTRA_DC);
        stages.intraDc().offer(record.key(), record.value(), origin, readyAt(record), stopMark(record));
        upCommitter.processed(origin, consumer);
    }

    @KafkaListener(id = WAN_LISTENER, topics = Topics.GRAD_WAN, groupId = "relay-${crosstrain.relay.datacenter}",
            clientIdPrefix = "relay-${crosstrain.relay.datacenter}-wan",
            containerFactory = "gradListenerFactory")
    void onWan(ConsumerRecord<String, ByteBuffer> record, Consumer<?, ?> consumer) {
        Origin origin = Origin.of(record);
        stages.in(Stage.CROSS_DC);
        stages.crossDc().offer(record.key(), record.value(), origin, readyAt(record), stopMark(record));
        wanCommitter.processed(origin, consumer);
    }

    /** Published on the idle container's own consumer thread, so the committer may use its consumer. */
    @EventListener(condition = "event.listenerId.startsWith('relay-')")
    void onIdle(ListenerContainerIdleEvent event) {
        if (event.getListenerId().startsWith(UP_LISTENER)) {
            upCommitter.idle(event.getConsumer());
        } else if (event.getListenerId().startsWith(WAN_LISTENER)) {
            wanCommitter.idle(event.getConsumer());
        }
    }

    private static long readyAt(ConsumerRecord<String, ByteBuffer> record) {
        org.apache.kafka.common.header.Header h = record.headers().lastHeader(ChunkHeaders.READY_AT);
        return h == null ? 0L : ChunkHeaders.decodeLong(h.value());
    }

    /** A contribution asking for the job to stop after its round ({@link RoundStop}). */
    private static boolean stopMark(ConsumerRecord<String, ByteBuffer> record) {
        org.apache.kafka.common.header.Header h = record.headers().lastHeader(RoundStop.HEADER);
        return h != null && RoundStop.requested(h.value());
    }
}
