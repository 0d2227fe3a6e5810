package io.crosstrain.worker.domain;

import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.crosstrain.checkpoint.CheckpointManifest;
import io.crosstrain.checkpoint.CheckpointStore;
import io.crosstrain.checkpoint.Checkpoints;
import io.crosstrain.checkpoint.ShardState;
import io.crosstrain.contracts.CheckpointShard;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.training.DeviceTrainer;

/**
 * This node's checkpoint store and the uploads of the checkpoint shards its devices write. After a step that the plan
 * checkpoints, the devices of one replica (the one holding the plan's lowest-ranked device: a whole replica writes the
 * whole vector, each stage of a pipelined one its range) copy their state out; that copy is all training waits for.
 * The upload runs on this node's bounded background pool, and a shard that reached the store is announced as a
 * {@link CheckpointShard}. A shard that fails (or finds the pool full) is logged and never announced, so its
 * checkpoint never completes and the previous one stays the latest.
 */
public final class Checkpointing implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Checkpointing.class);

    /** Concurrent uploads: a node writes at most one shard per local stage of one replica per checkpoint. */
    static final int UPLOAD_THREADS = 2;
    /** Copies waiting for an upload: each holds a range's whole state in memory, so the queue is bounded. */
    static final int UPLOAD_QUEUE = 8;

    private final CheckpointStore store;
    private final ThreadPoolExecutor uploads;

    /** @param store where shards go and checkpoints are read from; null = this node neither writes nor reads them */
    public Checkpointing(CheckpointStore store) {
        this.store = store;
        if (store == null) {
            this.uploads = null;
            return;
        }
        AtomicInteger n = new AtomicInteger();
        this.uploads = new ThreadPoolExecutor(UPLOAD_THREADS, UPLOAD_THREADS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(UPLOAD_QUEUE), r -> {
                    Thread t = new Thread(r, "checkpoint-upload-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        uploads.allowCoreThreadTimeOut(true);
    }

    /** No store: no checkpoints are written, a resume from one fails, hand-over state always goes inline. */
    public static Checkpointing none() {
        return new Checkpointing(null);
    }

    /** The store, or null when none is configured. */
    public CheckpointStore store() {
        return store;
    }

    /**
     * Whether {@code device} writes its range of the checkpoints of {@code plan}: it belongs to the replica of the
     * plan's lowest-ranked device.
     */
    static boolean writes(Plan plan, PlanDevice device) {
        PlanDevice lowest = plan.devices().stream().min(java.util.Comparator.comparingInt(PlanDevice::rank))
                .orElseThrow();
        if (!lowest.staged()) {
            return lowest.deviceId().equals(device.deviceId());
        }
        return device.staged() && lowest.replicaOrSelf().equals(device.replicaOrSelf());
    }

    /**
     * Called by the device thread once step {@code step}'s update (under DiLoCo: the outer step) is applied and the
     * plan checkpoints after it: a writer copies its state and hands the upload to the background.
     */
    void afterStep(Plan plan, PlanDevice device, DeviceStepPath path, int step, JobRun.Outbox outbox) {
        if (store == null || !writes(plan, device)) {
            return;
        }
        long t0 = System.nanoTime();
        ShardState state = shardOf(path.part().offset(), path.snapshot());
        double pauseMillis = (System.nanoTime() - t0) / 1e6;
        UUID jobId = plan.jobId();
        long total = path.totalParameters();
        log.info("job {}: device {} copied its checkpoint state of [{}, {}) after step {} in {} ms; uploading in "
                + "the background", jobId, device.deviceId(), state.offset(), state.offset() + state.count(), step,
                String.format("%.1f", pauseMillis));
        try {
            uploads.execute(() -> upload(plan, device, step, state, total, pauseMillis, outbox));
        } catch (RejectedExecutionException e) {
            log.warn("job {}: checkpoint shard of device {} after step {} dropped: {} uploads are pending; that "
                    + "checkpoint will not complete", jobId, device.deviceId(), step, uploads.getQueue().size());
        }
    }

    private void upload(Plan plan, PlanDevice device, int step, ShardState state, long total, double pauseMillis,
                        JobRun.Outbox outbox) {
        UUID jobId = plan.jobId();
        long t0 = System.nanoTime();
        CheckpointManifest.Shard shard;
        try {
            shard = Checkpoints.writeShard(store, jobId, step, state);
        } catch (IOException | RuntimeException e) {
            log.warn("job {}: checkpoint shard [{}, {}) of device {} after step {} not written ({}); that checkpoint "
                    + "will not complete", jobId, state.offset(), state.offset() + state.count(), device.deviceId(),
                    step, e.toString());
            return;
        }
        double uploadMillis = (System.nanoTime() - t0) / 1e6;
        try {
            outbox.publishCheckpointShard(new CheckpointShard(jobId, plan.planVersion(), step, device.deviceId(),
                    shard.offset(), shard.count(), total, shard.key(), shard.bytes(), shard.sha256(), pauseMillis,
                    uploadMillis));
        } catch (RuntimeException e) {
            log.warn("job {}: checkpoint shard {} written but not announced: {}", jobId, shard.key(), e.toString());
            return;
        }
        log.info("job {}: checkpoint shard {} ({} bytes) written in {} ms", jobId, store.location(shard.key()),
                shard.bytes(), String.format("%.1f", uploadMillis));
    }

    /** A range's state as a shard holds it (the outer state only under DiLoCo). */
    static ShardState shardOf(long offset, ModelStateCodec.Snapshot s) {
        DeviceTrainer.State t = s.trainer();
        ModelStateCodec.OuterState o = s.outer();
        return new ShardState(offset, t.updates(), t.weights(), t.means(), t.variances(),
                o == null ? null : o.global(), o == null ? null : o.velocity(), o == null ? 0 : o.steps());
    }

    /** A shard's state as a path resumes from it; the outer state only when {@code withOuter}. */
    static ModelStateCodec.Snapshot snapshotOf(ShardState s, boolean withOuter) {
        DeviceTrainer.State t = new DeviceTrainer.State(s.updates(), s.weights(), s.means(), s.variances());
        return new ModelStateCodec.Snapshot(t, withOuter && s.hasOuter()
                ? new ModelStateCodec.OuterState(s.outerGlobal(), s.outerVelocity(), s.outerSteps()) : null);
    }

    /** Lets queued uploads finish (briefly), then stops the pool. */
    @Override
    public void close() {
        if (uploads == null) {
            return;
        }
        uploads.shutdown();
        try {
            if (!uploads.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("checkpoint uploads still running at shutdown: {} dropped", uploads.shutdownNow().size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            uploads.shutdownNow();
        }
    }
}
