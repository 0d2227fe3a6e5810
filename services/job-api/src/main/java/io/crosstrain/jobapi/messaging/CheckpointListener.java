package io.crosstrain.jobapi.messaging;

import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.crosstrain.checkpoint.CheckpointKeys;
import io.crosstrain.contracts.CheckpointShard;
import io.crosstrain.contracts.Topics;
import io.crosstrain.jobapi.domain.CheckpointService;
import io.crosstrain.kafka.InvalidRecordException;

/**
 * Checkpoint shards the workers wrote (docs/architecture.md §13), in a consumer group of their own so a slow store
 * never holds up plans and metrics. A record without the fields a manifest needs, or naming a key outside its step,
 * is dead-lettered.
 */
@Component
class CheckpointListener {

    private static final Logger log = LoggerFactory.getLogger(CheckpointListener.class);
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private final CheckpointService checkpoints;
    private final KafkaJson json;

    CheckpointListener(CheckpointService checkpoints, KafkaJson json) {
        this.checkpoints = checkpoints;
        this.json = json;
    }

    @KafkaListener(id = "job-api-checkpoint-shards", topics = Topics.CHECKPOINT_SHARDS,
            groupId = "job-api-checkpoints")
    void onShard(String value) {
        CheckpointShard s = json.read(value, CheckpointShard.class);
        if (s.jobId() == null || s.planVersion() < 0 || s.step() < 0 || s.offset() < 0 || s.count() < 1
                || s.count() > Integer.MAX_VALUE || s.total() < 1 || s.offset() + s.count() > s.total()
                || s.bytes() < 1 || s.sha256() == null || !SHA256_HEX.matcher(s.sha256()).matches()) {
            throw new InvalidRecordException("checkpoint shard without jobId, a range inside its total, bytes or a "
                    + "lower-case hex SHA-256");
        }
        // the manifest may only name objects of its own step
        if (s.key() == null || !s.key().startsWith(CheckpointKeys.stepPrefix(s.jobId(), s.step()))) {
            throw new InvalidRecordException("checkpoint shard key " + s.key() + " is not below "
                    + CheckpointKeys.stepPrefix(s.jobId(), s.step()));
        }
        CheckpointService.ShardOutcome outcome;
        try {
            outcome = checkpoints.applyShard(s);
        } catch (IllegalArgumentException e) {
            throw new InvalidRecordException(e.getMessage(), e);
        }
        log.debug("shard {} of job {} step {}: {}", s.key(), s.jobId(), s.step(), outcome.outcome());
        if (outcome.completed() != null) {
            try {
                checkpoints.prune(s.jobId()); // after the commit: the new checkpoint is in before older ones go
            } catch (RuntimeException e) {
                // the next checkpoint prunes again; the record itself was applied
                log.warn("job {}: pruning old checkpoints failed: {}", s.jobId(), e.toString());
            }
        }
    }
}
