package io.crosstrain.relay.messaging;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.crosstrain.contracts.RoundLedgerEntry;
import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.TopicReader;
import tools.jackson.databind.json.JsonMapper;

/**
 * This relay's side of the round ledger ({@link Topics#ROUND_LEDGER}): writes one line per round it closes, and at
 * start-up reads back the lines of its datacenter so a restarted relay never delivers or commits a round twice.
 */
public class RoundLedger {

    private static final Logger log = LoggerFactory.getLogger(RoundLedger.class);

    /** One committed (or aborted) round as the ledger holds it. */
    public record Closed(UUID jobId, int planVersion, long round) {
    }

    private final String datacenter;
    private final GradientPublisher publisher;
    private final JsonMapper json;
    private final RelayMetrics metrics;

    public RoundLedger(String datacenter, GradientPublisher publisher, JsonMapper json, RelayMetrics metrics) {
        this.datacenter = datacenter;
        this.publisher = publisher;
        this.json = json;
        this.metrics = metrics;
    }

    void write(RoundLedgerEntry entry) {
        publisher.sendJson(Topics.ROUND_LEDGER, entry.key(), json.writeValueAsBytes(entry));
        metrics.roundClosed(entry.kind(), entry.status());
    }

    /**
     * Every round of this datacenter the ledger holds, read from the beginning up to the end offsets at the time of
     * the call. Unreadable lines are skipped (they cannot name a round).
     */
    public List<Closed> readBack(String bootstrapServers, Map<String, Object> consumerProperties, Duration timeout) {
        List<Closed> out = new ArrayList<>();
        // the service's connection and login; no group: the reader assigns itself every partition
        Map<String, Object> props = new HashMap<>(consumerProperties);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "relay-" + datacenter + "-ledger-replay");
        TopicReader.readToEnd(bootstrapServers, Topics.ROUND_LEDGER, props, timeout, r -> {
                    try {
                        RoundLedgerEntry e = json.readValue(r.value(), RoundLedgerEntry.class);
                        if (datacenter.equals(e.datacenter()) && e.jobId() != null) {
                            out.add(new Closed(e.jobId(), e.planVersion(), e.round()));
                        }
                    } catch (RuntimeException ex) {
                        log.warn("skipping unreadable ledger line {} at offset {}", r.key(), r.offset());
                    }
                });
        return out;
    }
}
