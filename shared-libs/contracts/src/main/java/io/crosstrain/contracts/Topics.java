package io.crosstrain.contracts;

/** Kafka topic names (ARCHITECTURE.md §3). Every name carries the {@code crosstrain.} prefix. */
public final class Topics {
    public static final String PREFIX = "crosstrain.";
    public static final String JOB_COMMANDS = PREFIX + "job-commands";
    /** What became of each job command ({@link JobCommandResult}), rejections included. */
    public static final String JOB_COMMAND_RESULTS = PREFIX + "job-command-results";
    public static final String JOB_EVENTS = PREFIX + "job-events";
    public static final String DEVICE_HEARTBEATS = PREFIX + "device-heartbeats";
    public static final String PLANS = PREFIX + "plans";
    public static final String STEP_METRICS = PREFIX + "step-metrics";
    public static final String GRAD_WAN = PREFIX + "grad-wan";
    public static final String MODEL_STATE = PREFIX + "model-state";
    /** Device health transitions (HEALTHY, SUSPECT, DOWN) published by device-inventory, key = deviceId. */
    public static final String DEVICE_EVENTS = PREFIX + "device-events";
    /** Round commits, one line per (job, round, datacenter); never compacted: the log is the audit. */
    public static final String ROUND_LEDGER = PREFIX + "round-ledger";
    /** A worker wrote one shard of a checkpoint ({@link CheckpointShard}), key = jobId. */
    public static final String CHECKPOINT_SHARDS = PREFIX + "checkpoint-shards";
    public static final String DLT_SUFFIX = ".DLT";

    private Topics() {
    }

    /** Worker to its datacenter's relay. */
    public static String gradUp(String datacenter) {
        return PREFIX + "grad-up." + datacenter;
    }

    /** Relay to the workers of its datacenter. */
    public static String gradDown(String datacenter) {
        return PREFIX + "grad-down." + datacenter;
    }

    /**
     * Pipeline stages of one datacenter handing activations forward and their gradients back between nodes
     * (docs/architecture.md §11); never read outside the datacenter.
     */
    public static String activations(String datacenter) {
        return PREFIX + "activations." + datacenter;
    }

    /** Partitions of an activations topic: a node reads the one its id hashes to ({@link #activationPartition}). */
    public static final int ACTIVATION_PARTITIONS = 8;

    /** The partition of an activations topic that node {@code nodeId} reads. */
    public static int activationPartition(String nodeId) {
        return Math.floorMod(nodeId.hashCode(), ACTIVATION_PARTITIONS);
    }

    /**
     * Partitions every service declares for a topic: gradient topics keep one partition (a round's chunks stay in
     * order for their single consumer per datacenter); JSON topics are keyed by job or device and spread over three.
     */
    public static int partitions(String topic) {
        if (topic.startsWith(PREFIX + "activations.")) {
            return ACTIVATION_PARTITIONS;
        }
        return topic.startsWith(PREFIX + "grad-") ? 1 : 3;
    }

    public static String deadLetter(String topic) {
        return topic + DLT_SUFFIX;
    }
}
