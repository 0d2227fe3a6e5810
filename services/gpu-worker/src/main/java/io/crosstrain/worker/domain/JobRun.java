package io.crosstrain.worker.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.ToDoubleFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.crosstrain.codec.ChunkView;
import io.crosstrain.contracts.CheckpointShard;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.RoundStop;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.training.Corpus;
import io.crosstrain.training.DeviceTrainer;
import io.crosstrain.training.Pacer;
import io.crosstrain.worker.pipeline.ActivationHub;

/**
 * Runs one job on the devices of this node, across plan versions: one thread per device, synchronous rounds (one
 * round per step). Under emulation each device holds its gradient back until the step has taken the paced time of
 * its chip, so the cluster behaves like the mix of chips it stands for (ARCHITECTURE.md §6).
 *
 * <p>A newer plan version (a re-plan after a failure, a rebalance) takes over at the first round at or after its
 * {@code startStep} whose update this node has not applied: the devices finish the rounds before it under the old
 * version, then every device starts the new version with the committed state of its part of the model, so no
 * committed step is lost or applied twice ({@link StateHandover}: a device keeping its range carries its own, one
 * whose range changed or that is new takes the state of its new range). A round stalled by a dead node is simply
 * redone under the new version. A version that resumes the whole job from a checkpoint starts at its own start step
 * instead, every device loading the checkpoint whatever it held ({@link CheckpointResume}).
 *
 * <p>A job being cancelled stops after one committed round that every replica agrees on ({@link #requestStop}): the
 * node marks its contributions with {@link RoundStop#HEADER}, the relays OR the mark into the round's average, and
 * every replica that receives a marked average applies it, reports that step as its last (with its weights hash) and
 * ends. Under DiLoCo only outer rounds count, as only they reach every datacenter.
 */
public final class JobRun {

    private static final Logger log = LoggerFactory.getLogger(JobRun.class);

    /** Where a run's output goes; the service backs it with Kafka. */
    public interface Outbox {
        void sendGradient(String topic, String key, byte[] chunk);

        /** A gradient chunk with the emulated time its contribution is ready (epoch ms; 0 = now). */
        default void sendGradient(String topic, String key, byte[] chunk, long readyAtMs) {
            sendGradient(topic, key, chunk);
        }

        /**
         * As {@link #sendGradient(String, String, byte[], long)}; {@code stop} marks the contribution with
         * {@link RoundStop#HEADER}. An outbox that drops the mark only delays the stop until another node marks it.
         */
        default void sendGradient(String topic, String key, byte[] chunk, long readyAtMs, boolean stop) {
            sendGradient(topic, key, chunk, readyAtMs);
        }

        void publishMetric(StepMetric metric);

        /**
         * A pipeline hand-over to a stage on another node of the datacenter: a chunk on the activations topic, into
         * the partition that node reads, stamped with when the sending chip would have finished it.
         */
        default void sendActivation(String topic, int partition, String key, byte[] chunk, long readyAtMs) {
            throw new UnsupportedOperationException("this outbox carries no activations");
        }

        /** A checkpoint shard that reached the store, for job-api to complete the checkpoint with. */
        default void publishCheckpointShard(CheckpointShard shard) {
            throw new UnsupportedOperationException("this outbox carries no checkpoint shards");
        }
    }

    /**
     * Where a device gets the model's state when it joins mid-job or its parameter range changes and this node's own
     * replicas do not hold it.
     */
    @FunctionalInterface
    public interface StateSource {
        /** The state published for plan version {@code planVersion}, taken after {@code round}; empty if none came. */
        Optional<DeviceTrainer.State> await(UUID jobId, int planVersion, long round);

        /** With DiLoCo's outer state when {@code diloco} (the source then waits for it too). */
        default Optional<ModelStateCodec.Snapshot> awaitSnapshot(UUID jobId, int planVersion, long round,
                                                                 boolean diloco) {
            return await(jobId, planVersion, round).map(s -> new ModelStateCodec.Snapshot(s, null));
        }

        /**
         * The state of parameters {@code [offset, offset + count)} after {@code round}, put together from whatever
         * ranges of it were published (a whole replica's, pipeline stages'); empty if they did not come, or once
         * {@code abandoned} says the state is no longer wanted (a source that waits checks it while it does).
         */
        default Optional<ModelStateCodec.Snapshot> awaitRange(UUID jobId, int planVersion, long round, long offset,
                                                              int count, boolean diloco, BooleanSupplier abandoned) {
            return awaitSnapshot(jobId, planVersion, round, diloco).map(s -> ModelStateCodec.slice(s, offset, count));
        }
    }

    private final UUID jobId;
    private final Set<String> nodeDevices;
    private final Corpus corpus;
    private final Outbox outbox;
    private final long roundTimeoutMillis;
    private final ToDoubleFunction<String> slowdown;
    /** Pipeline hand-overs of this node's stages. */
    private final ActivationHub hub;
    private final Pacer pacer = new Pacer();
    private final AtomicBoolean stopped = new AtomicBoolean();
    /** The job is being cancelled: this node's contributions ask every replica to stop after their round. */
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    /** The step after which this node's devices stopped on request (0 = they did not). */
    private volatile long stoppedAfter;
    /**
     * Replicas by device id; they outlive plan versions. Written by the coordinator between segments and by a device
     * thread that takes back its own inner step.
     */
    private final Map<String, DeviceStepPath> paths = new java.util.concurrent.ConcurrentHashMap<>();
    /** Moves the committed state into the paths of each new plan version. */
    private final StateHandover handover;
    private final Checkpointing checkpoints;
    private volatile Runnable onFinished = () -> { };
    private volatile String sample;

    /** The versions given and the one to switch to next; guarded by this. */
    private final PlanSwitch switches;
    private volatile Segment current;

    /**
     * @param nodeDevices the ids of this node's devices (a plan may name only some of them)
     * @param slowdown    per device, the share of its chip's speed it currently runs at (1 = normal; emulation only)
     */
    public JobRun(Plan plan, Set<String> nodeDevices, Corpus corpus, Outbox outbox, long roundTimeoutMillis,
                  ToDoubleFunction<String> slowdown) {
        this(plan, nodeDevices, corpus, outbox, roundTimeoutMillis, slowdown, (job, version, round) -> Optional.empty());
    }

    /** @param states where devices get the model's state when this node's replicas do not hold it */
    public JobRun(Plan plan, Set<String> nodeDevices, Corpus corpus, Outbox outbox, long roundTimeoutMillis,
                  ToDoubleFunction<String> slowdown, StateSource states) {
        this(plan, nodeDevices, corpus, outbox, roundTimeoutMillis, slowdown, states, new ActivationHub());
    }

    /** @param hub where this node's pipeline stages receive their hand-overs */
    public JobRun(Plan plan, Set<String> nodeDevices, Corpus corpus, Outbox outbox, long roundTimeoutMillis,
                  ToDoubleFunction<String> slowdown, StateSource states, ActivationHub hub) {
        this(plan, nodeDevices, corpus, outbox, roundTimeoutMillis, slowdown, states, hub, Checkpointing.none());
    }

    /** @param checkpoints the node's checkpoint store and uploads */
    public JobRun(Plan plan, Set<String> nodeDevices, Corpus corpus, Outbox outbox, long roundTimeoutMillis,
                  ToDoubleFunction<String> slowdown, StateSource states, ActivationHub hub,
                  Checkpointing checkpoints) {
        this.hub = hub;
        this.jobId = plan.jobId();
        this.switches = new PlanSwitch(plan);
        this.checkpoints = checkpoints;
        this.nodeDevices = Set.copyOf(nodeDevices);
        this.corpus = corpus;
        this.outbox = outbox;
        this.roundTimeoutMillis = roundTimeoutMillis;
        this.slowdown = slowdown;
        this.handover = new StateHandover(jobId, paths, corpus, outbox, states, checkpoints.store());
    }

    /** Text sampled from the trained model once the run finished (null before, or on other nodes). */
    public String sample() {
        return sample;
    }

    public void onFinished(Runnable callback) {
        this.onFinished = callback;
    }

    /**
     * Takes a newer plan version. The running segment is told that rounds from the new {@code startStep} on belong
     * to it; devices switch at their next round boundary.
     *
     * @return false when the version is not newer than the newest known one
     */
    public synchronized boolean replan(Plan next) {
        if (!switches.offer(next)) {
            return false;
        }
        Segment seg = current;
        // usually next itself; a pending resume version goes first
        Plan takesOver = switches.next(seg != null ? seg.plan.planVersion() : 0);
        if (seg != null) {
            seg.supersedeFrom(takesOver);
        }
        // a stage waiting for a hand-over of a superseded step switches instead of timing out
        hub.supersede(jobId, takesOver.planVersion(), takesOver.startStep());
        log.info("job {}: plan v{} received ({}), takes over from step {}", jobId, next.planVersion(),
                next.reason(), next.startStep());
        return true;
    }

    /** An averaged update chunk from the relay; chunks of other plan versions than the running one are ignored. */
    public boolean offer(int planVersion, long round, ChunkView chunk, long wanBytes) {
        return offer(planVersion, round, chunk, wanBytes, 0L);
    }

    public boolean offer(int planVersion, long round, ChunkView chunk, long wanBytes, long readyAtMs) {
        return offer(planVersion, round, chunk, wanBytes, readyAtMs, false);
    }

    /** @param stop the chunk carries the relay's {@link RoundStop} mark: the job ends after this round */
    public boolean offer(int planVersion, long round, ChunkView chunk, long wanBytes, long readyAtMs, boolean stop) {
        Segment seg = current;
        if (seg == null || seg.plan.planVersion() != planVersion) {
            return false;
        }
        return seg.rounds.mailboxOf(round).offer(round, chunk, wanBytes, readyAtMs, stop);
    }

    /**
     * Asks every replica of the job to stop cleanly (the job is being cancelled). Nothing stops here and now: the
     * node's next contribution carries the request, and the devices stop after the first round whose committed
     * average comes back marked (sync DP: the next round; DiLoCo: the next outer round), whichever node's request
     * marked it. Every replica therefore ends after the same round, with the same weights, and reports it as its last
     * step. A run that has not started yet sends the request with its first round.
     *
     * @return false when a stop was requested before
     */
    public boolean requestStop(String reason) {
        if (!stopRequested.compareAndSet(false, true)) {
            return false;
        }
        log.info("job {}: stop requested ({}); its replicas stop after the next {}round committed with the request",
                jobId, reason, latestPlan().diloco() ? "outer " : "");
        return true;
    }

    public boolean stopRequested() {
        return stopRequested.get();
    }

    /** The step after which this node's devices stopped on request; 0 while they did not. */
    public long stoppedAfter() {
        return stoppedAfter;
    }

    private synchronized Plan latestPlan() {
        return switches.latest();
    }

    public void start() {
        Plan first;
        synchronized (this) {
            first = switches.first();
        }
        Thread coordinator = new Thread(() -> coordinate(first), "job-" + jobId);
        coordinator.setDaemon(true);
        coordinator.start();
    }

    public void stop(String reason) {
        if (stopped.compareAndSet(false, true)) {
            log.info("stopping job {} on this node: {}", jobId, reason);
            Segment seg = current;
            if (seg != null) {
                seg.rounds.failAll(reason);
            }
        }
    }

    private void coordinate(Plan first) {
        Plan plan = first;
        long from = first.startStep();
        try {
            while (!stopped.get()) {
                List<PlanDevice> local = plan.devices().stream().filter(d -> nodeDevices.contains(d.deviceId()))
                        .sorted(Comparator.comparingInt(PlanDevice::rank)).toList();
                if (local.isEmpty()) {
                    Optional<Plan> back;
                    synchronized (this) {
                        back = switches.takeNaming(plan.planVersion(), nodeDevices);
                    }
                    if (back.isEmpty()) {
                        log.info("job {}: plan v{} leaves this node out; its devices stop at step {}", jobId,
                                plan.planVersion(), from);
                        return;
                    }
                    // named again by a version received meanwhile: join it at its start with the state the others
                    // publish then; what this node's devices hold is from before the steps they sat out
                    log.info("job {}: plan v{} leaves this node out from step {}; v{} takes it back from step {}",
                            jobId, plan.planVersion(), from, back.get().planVersion(), back.get().startStep());
                    paths.values().forEach(DeviceStepPath::close);
                    paths.clear();
                    plan = back.get();
                    from = plan.startStep();
                    continue;
                }
                StageWiring stages = new StageWiring(plan, nodeDevices, hub, outbox, roundTimeoutMillis);
                // before the hand-over, which may wait for state: a neighbour that had it at hand may send already
                stages.register(local);
                int version = plan.planVersion();
                long at = from;
                String missing = handover.preparePaths(plan, local, from, () -> takingOver(version, at) != null);
                if (missing != null) {
                    // a version received while this one waited for its state may take over before it began (a
                    // resume from a checkpoint, or a recovery from an earlier step): then nothing is lost
                    Plan newer;
                    synchronized (this) {
                        newer = takingOver(version, at) != null ? switches.take(version) : null;
                    }
                    if (newer == null) {
                        failAll(plan, local, from, missing);
                        return;
                    }
                    log.info("job {}: plan v{} did not begin at step {} (its state had not come); v{} takes over ({})",
                            jobId, version, from, newer.planVersion(), newer.reason());
                    plan = newer;
                    from = newer.resume() != null || paths.isEmpty() ? newer.startStep()
                            : Math.max(from, newer.startStep());
                    continue;
                }
                Segment seg = new Segment(plan, local, stages);
                synchronized (this) {
                    current = seg;
                    Plan newer = switches.next(plan.planVersion());
                    if (newer != null) {
                        seg.supersedeFrom(newer);
                    }
                }
                Long next = seg.run(from);
                if (next == null) {
                    return; // finished or failed
                }
                synchronized (this) {
                    plan = switches.take(seg.plan.planVersion());
                }
                if (plan == null) {
                    throw new IllegalStateException("segment superseded without a newer plan");
                }
                // a resume starts at its checkpoint, wherever this node was
                from = plan.resume() != null ? plan.startStep() : next;
                if (from > plan.startStep() && rollsBackToOuterRound(seg.plan, plan)) {
                    // DiLoCo: this node ran inner steps past where the new version takes over (its datacenter's
                    // rounds completed without the lost devices of another); the new version redoes them, so the
                    // node goes back to the global state the outer round before them published, as a joiner does
                    log.info("job {}: steps {}..{} ran here under v{}, which v{} redoes: back to step {}", jobId,
                            plan.startStep(), from - 1, seg.plan.planVersion(), plan.planVersion(),
                            plan.startStep());
                    paths.values().forEach(DeviceStepPath::close);
                    paths.clear();
                    from = plan.startStep();
                }
                handover.publishAtSwitch(seg.plan, seg.local, plan, from);
                log.info("job {}: switching to plan v{} at step {} ({})", jobId, plan.planVersion(), from,
                        plan.reason());
            }
        } finally {
            current = null;
            paths.values().forEach(DeviceStepPath::close);
            paths.clear();
            hub.forget(jobId);
            onFinished.run();
        }
    }

    /**
     * Whether a node past {@code next}'s start can go back to it: under DiLoCo with whole replicas, when the step
     * before it ended an outer round, whose result every replica shares and was published for joiners.
     */
    static boolean rollsBackToOuterRound(Plan previous, Plan next) {
        return next.resume() == null && previous.diloco() && !previous.pipelined()
                && previous.outerAfter(next.startStep() - 1);
    }

    /** A version newer than {@code running} that takes over at or before {@code step}; a resume always does. */
    private synchronized Plan takingOver(int running, long step) {
        Plan newer = switches.next(running);
        return newer != null && (newer.resume() != null || newer.startStep() <= step) ? newer : null;
    }

    private void failAll(Plan plan, List<PlanDevice> local, long step, String reason) {
        log.error("job {}: {}", jobId, reason);
        for (PlanDevice d : local) {
            publishFailure(plan, d, (int) step, reason);
        }
        stop(reason);
    }

    private void publishFailure(Plan plan, PlanDevice device, int step, String reason) {
        outbox.publishMetric(StepReport.failure(jobId, plan, device, step, reason));
    }

    /** The execution of one plan version on this node. */
    private final class Segment {
        final Plan plan;
        final List<PlanDevice> local;
        /** The inner rounds and DiLoCo's outer rounds of this version's devices on this node. */
        final RoundExchange rounds;
        /** How this version's pipeline stages on this node reach their neighbours. */
        final StageWiring stages;
        /** Per device: the step it switches at, or -1 when it finished or failed. */
        final long[] outcome;

        Segment(Plan plan, List<PlanDevice> local, StageWiring stages) {
            this.plan = plan;
            this.local = local;
            // each device deposits its part of the flat vector: all of it, or its pipeline stage's range
            List<NodeReducer.Part> parts = local.stream().map(d -> paths.get(d.deviceId()).part()).toList();
            this.rounds = new RoundExchange(plan, local.get(0).nodeId(), parts,
                    plan.model().parameters(corpus.vocabSize()), outbox, handover, pacer, stopRequested::get,
                    roundTimeoutMillis);
            this.outcome = new long[local.size()];
            this.stages = stages;
        }

        /** Rounds from the newer plan's start step on are not this version's ({@link RoundExchange#supersedeFrom}). */
        void supersedeFrom(Plan next) {
            rounds.supersedeFrom(next.startStep(), "plan version " + next.planVersion());
        }

        /** Runs every local device from {@code from}; returns the step to continue at under a newer plan, or null. */
        Long run(long from) {
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < local.size(); i++) {
                int position = i;
                Thread t = new Thread(() -> outcome[position] = runDevice(position, from),
                        "device-" + local.get(i).deviceId() + "-v" + plan.planVersion());
                t.setDaemon(true);
                threads.add(t);
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    stop("interrupted");
                    return null;
                }
            }
            if (stopped.get()) {
                return null;
            }
            long first = outcome[0];
            for (long o : outcome) {
                if (o != first) {
                    // one device applied a round the others were told to redo: the replicas would differ
                    String reason = "devices of node " + local.get(0).nodeId() + " left plan v" + plan.planVersion()
                            + " at different steps " + java.util.Arrays.toString(outcome);
                    failAll(plan, local, Math.max(1, first), reason);
                    return null;
                }
            }
            return first < 0 ? null : first;
        }

        /** @return the step at which the device hands over to a newer plan, or -1 when done (finished or failed) */
        private long runDevice(int position, long from) {
            PlanDevice device = local.get(position);
            DeviceStepPath path = paths.get(device.deviceId());
            boolean emulated = Plan.EMULATED.equals(plan.mode());
            StepReport report = new StepReport(jobId, plan, device, path, stages, emulated,
                    plan.model().key(corpus.vocabSize()));
            int step = (int) from;
            if (plan.diloco()) {
                path.outer(); // θ_global is where the replica stands before its first inner step
            }
            try {
                for (; step <= plan.steps() && !stopped.get(); step++) {
                    long t0 = System.nanoTime();
                    long startedAtMs = System.currentTimeMillis();
                    StepReport.Work work;
                    if (device.staged()) {
                        // its part of the replica's 1F1B step, each micro-batch paced to the stage's chip
                        DeviceStepPath.StageStep st;
                        try {
                            st = path.computeStage(step, stages.dataRank(device), stages.link(device, step),
                                    stages.timing(device, path, speedShare(device.deviceId())), pacer, emulated);
                        } catch (RoundMailbox.Superseded e) {
                            return step; // a newer plan took over this step: redone under it
                        }
                        work = StepReport.Work.ofStage(st, t0, startedAtMs, emulated);
                    } else {
                        work = StepReport.Work.ofReplica(path.compute(step), device, speedShare(device.deviceId()),
                                t0, startedAtMs, emulated);
                    }
                    RoundExchange.Inner round = rounds.inner(position, step, path, device, work, emulated);
                    if (round == null) {
                        return step; // this round is redone under the newer plan
                    }
                    RoundMailbox.Update update = round.update();
                    long commNanos = round.commNanos();
                    boolean outerNow = plan.outerAfter(step);
                    // an outer round that a newer plan supersedes is redone with this step: keep the state before it
                    DeviceTrainer.State beforeStep = outerNow ? path.trainer().exportState() : null;
                    path.apply(update.averaged());
                    long wanBytes = update.wanBytes();
                    // the committed round every replica received marked: all of them end after it
                    boolean stopNow = !plan.diloco() && update.stop();
                    if (outerNow) {
                        RoundExchange.Outer outerDone = rounds.outer(position, path, device, step, emulated);
                        if (outerDone == null) {
                            paths.put(device.deviceId(), path.withoutInnerStep(beforeStep));
                            return step; // redone, inner step included, under the newer plan
                        }
                        commNanos += outerDone.waitNanos();
                        wanBytes += outerDone.wanBytes();
                        stopNow = outerDone.stop();
                    }
                    if (plan.checkpointAfter(step)) {
                        checkpoints.afterStep(plan, device, path, step, outbox);
                    }
                    boolean last = step == plan.steps() || stopNow;
                    outbox.publishMetric(report.metric(step, work, commNanos, wanBytes, outerNow, last,
                            update.samples()));
                    if (stopNow) {
                        stoppedAfter = step;
                        if (position == 0) {
                            log.info("job {}: stopped on request after step {} of {} (plan v{})", jobId, step,
                                    plan.steps(), plan.planVersion());
                        }
                        return -1;
                    }
                    if (!last && supersededAt(step + 1)) {
                        return step + 1;
                    }
                }
                if (device.rank() == TextSample.samplerRank(plan) && step > plan.steps() && path.wholeModel() != null) {
                    sample = TextSample.of(jobId, path, corpus, plan.seed());
                }
            } catch (TimeoutException e) {
                fail(device, step, "no averaged update for round " + step + " within " + roundTimeoutMillis + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(device, step, "interrupted");
            } catch (RuntimeException | Error e) {
                if (!stopped.get()) {
                    log.error("device {} failed at step {}", device.deviceId(), step, e);
                    fail(device, step, e.getClass().getSimpleName() + ": " + e.getMessage());
                }
            }
            return -1;
        }

        /** Whether a newer plan takes over from {@code step}: checked between rounds, before any work on it. */
        private boolean supersededAt(long step) {
            synchronized (JobRun.this) {
                Plan newer = switches.next(plan.planVersion());
                return newer != null && step >= newer.startStep();
            }
        }

        private void fail(PlanDevice device, int step, String reason) {
            if (stopped.get()) {
                return;
            }
            publishFailure(plan, device, step, reason);
            stop(reason);
        }
    }

    private double speedShare(String deviceId) {
        double share = slowdown.applyAsDouble(deviceId);
        return share > 0 && share <= 1 ? share : 1.0;
    }
}
