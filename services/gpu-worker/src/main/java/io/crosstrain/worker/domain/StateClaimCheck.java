package io.crosstrain.worker.domain;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.crosstrain.checkpoint.CheckpointKeys;
import io.crosstrain.checkpoint.CheckpointStore;
import io.crosstrain.checkpoint.CorruptCheckpointException;
import io.crosstrain.checkpoint.ShardCodec;
import io.crosstrain.checkpoint.ShardState;

/**
 * A claim check for {@code model-state}: a range whose state is larger than {@link #INLINE_LIMIT_BYTES} is written to
 * the checkpoint store as a shard ({@code jobs/<job>/handover/v<version>-step<round>/<node>/shard-<offset>-<count>.bin})
 * and the topic carries only a small pointer record to it ({@link Ref}). A reader resolves a pointer by reading the
 * shard and checking its size and SHA-256; one whose shard is missing or altered is passed over like a corrupt chunk.
 */
public final class StateClaimCheck {

    private static final Logger log = LoggerFactory.getLogger(StateClaimCheck.class);

    /**
     * Above this a range's state goes through the store: Kafka's default record limit is 1 MB, and the compacted
     * topic should not hold model-sized values. Smaller ranges stay inline, as chunks.
     */
    public static final long INLINE_LIMIT_BYTES = 1L << 20;

    static final String MAGIC = "crosstrain-state-ref/1";
    /** The pointer's record key names this instead of a vector: one key per range, compacted like the chunks. */
    static final String SENDER = "state-ref";

    /**
     * A pointer to one range's state after {@code round} in the store. On the topic: key
     * {@code jobId:state-ref@offset+count}, value UTF-8 text, {@value #MAGIC} then one {@code name=value} per line
     * ({@code job version round offset count key bytes sha256}).
     */
    public record Ref(UUID jobId, int planVersion, long round, long offset, int count, String key, long bytes,
                      String sha256) {

        public String recordKey() {
            return jobId + ":" + SENDER + "@" + offset + "+" + count;
        }

        public byte[] encode() {
            return (MAGIC + "\njob=" + jobId + "\nversion=" + planVersion + "\nround=" + round + "\noffset=" + offset
                    + "\ncount=" + count + "\nkey=" + key + "\nbytes=" + bytes + "\nsha256=" + sha256 + "\n")
                    .getBytes(StandardCharsets.UTF_8);
        }

        /** The pointer a model-state value holds, or null when it holds none (a chunk) or a malformed one. */
        public static Ref decode(byte[] value) {
            byte[] magic = (MAGIC + "\n").getBytes(StandardCharsets.UTF_8);
            if (value == null || value.length < magic.length
                    || !java.util.Arrays.equals(value, 0, magic.length, magic, 0, magic.length)) {
                return null;
            }
            Map<String, String> f = new HashMap<>();
            for (String line : new String(value, StandardCharsets.UTF_8).split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    f.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            try {
                return new Ref(UUID.fromString(f.get("job")), Integer.parseInt(f.get("version")),
                        Long.parseLong(f.get("round")), Long.parseLong(f.get("offset")),
                        Integer.parseInt(f.get("count")), java.util.Objects.requireNonNull(f.get("key")),
                        Long.parseLong(f.get("bytes")), java.util.Objects.requireNonNull(f.get("sha256")));
            } catch (RuntimeException e) {
                return null;
            }
        }
    }

    /** Null: every range travels inline, and pointers cannot be resolved. */
    private final CheckpointStore store;
    /** Keys this publisher wrote, by round: only the two newest rounds' are kept. */
    private final TreeMap<Long, List<String>> written = new TreeMap<>();

    public StateClaimCheck(CheckpointStore store) {
        this.store = store;
    }

    /** Whether the state of {@code count} elements (with the outer state when {@code outer}) travels inline. */
    boolean inline(int count, boolean outer) {
        return store == null || ShardCodec.encodedSize(count, outer) <= INLINE_LIMIT_BYTES;
    }

    /** Writes a range's state to the store; returns the pointer record to publish instead. */
    synchronized ModelStateCodec.Record put(UUID jobId, int planVersion, long round, long offset, String node,
                                            ModelStateCodec.Snapshot state) throws IOException {
        ShardState shard = Checkpointing.shardOf(offset, state);
        byte[] bytes = ShardCodec.encode(shard);
        String key = CheckpointKeys.jobPrefix(jobId) + "handover/v" + planVersion + "-step" + round + "/" + node
                + "/shard-" + offset + "-" + shard.count() + ".bin";
        store.put(key, bytes);
        Ref ref = new Ref(jobId, planVersion, round, offset, shard.count(), key, bytes.length,
                ShardCodec.sha256Hex(bytes));
        written.computeIfAbsent(round, r -> new ArrayList<>()).add(key);
        // a reader wants the newest state; the one before stays for a reader still busy with it
        while (written.size() > 2) {
            for (String old : written.pollFirstEntry().getValue()) {
                try {
                    store.delete(old);
                } catch (IOException | RuntimeException e) {
                    log.debug("could not delete hand-over state {}: {}", old, e.toString());
                }
            }
        }
        return new ModelStateCodec.Record(ref.recordKey(), ref.encode());
    }

    /** The state a pointer names, after checking the stored bytes against the pointer's size and SHA-256. */
    public ModelStateCodec.Snapshot resolve(Ref ref) throws IOException {
        if (store == null) {
            throw new IOException("no checkpoint store to resolve " + ref.key() + " from");
        }
        byte[] bytes = store.get(ref.key()).orElseThrow(() -> new FileNotFoundException("hand-over state "
                + store.location(ref.key()) + " is gone"));
        String sha = ShardCodec.sha256Hex(bytes);
        if (bytes.length != ref.bytes() || !sha.equals(ref.sha256())) {
            throw new CorruptCheckpointException("hand-over state " + store.location(ref.key()) + " has "
                    + bytes.length + " bytes, SHA-256 " + sha + "; its pointer says " + ref.bytes() + " bytes, "
                    + ref.sha256());
        }
        ShardState s;
        try {
            s = ShardCodec.decode(bytes);
        } catch (IllegalArgumentException e) {
            throw new CorruptCheckpointException("hand-over state " + store.location(ref.key()) + ": "
                    + e.getMessage(), e);
        }
        if (s.offset() != ref.offset() || s.count() != ref.count()) {
            throw new CorruptCheckpointException("hand-over state " + store.location(ref.key()) + " holds ["
                    + s.offset() + ", +" + s.count() + "), its pointer says [" + ref.offset() + ", +" + ref.count()
                    + ")");
        }
        return Checkpointing.snapshotOf(s, true);
    }

    /** As {@link #resolve}, or null (logged) when the state cannot be had. */
    ModelStateCodec.Snapshot resolveOrNull(Ref ref) {
        try {
            return resolve(ref);
        } catch (IOException | RuntimeException e) {
            log.warn("job {}: pointer to the state of [{}, +{}) after round {} rejected: {}", ref.jobId(),
                    ref.offset(), ref.count(), ref.round(), e.getMessage());
            return null;
        }
    }
}
