package io.crosstrain.relay.messaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;

import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

import io.crosstrain.relay.domain.RoundAggregator;
import io.crosstrain.relay.domain.RoundAggregator.Stage;

/** Offsets reach the end of a topic that goes quiet, not only while records keep coming. */
class OffsetCommitterTest {

    final TopicPartition up = new TopicPartition("crosstrain.grad-up.a", 0);
    final MockConsumer<String, ByteBuffer> consumer = new MockConsumer<>("earliest");
    final RoundAggregator<Origin> aggregator = new RoundAggregator<>(Stage.INTRA_DC, "a",
            new RoundAggregator.Settings(1000, 1 << 20), new RoundAggregator.Sink<>() {
                @Override
                public void publish(RoundAggregator.Output output) {
                }

                @Override
                public void duplicate(String key, Origin origin) {
                }

                @Override
                public void deadLetter(String key, byte[] value, Origin origin, RoundAggregator.Rejection reason,
                                       String message) {
                }
            });

    @Test
    void theLastRecordsBeforeAQuietSpellAreCommittedWhenItComes() {
        consumer.assign(List.of(up));
        OffsetCommitter committer = new OffsetCommitter(aggregator);
        for (long offset = 0; offset < 3; offset++) { // within one commit interval: none committed yet
            committer.processed(new Origin(up.topic(), up.partition(), offset, new RecordHeaders()), consumer);
        }
        assertThat(consumer.committed(Set.of(up))).doesNotContainKey(up);

        committer.idle(consumer);

        assertThat(consumer.committed(Set.of(up)).get(up).offset()).isEqualTo(3);
    }
}
