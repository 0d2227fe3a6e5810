package io.crosstrain.worker.domain;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import io.crosstrain.contracts.GradientHeaders;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.Rounds;
import io.crosstrain.contracts.Topics;
import io.crosstrain.training.Pacer;

/**
 * How the devices of one plan version on this node exchange their rounds with the datacenter's relay: each device
 * deposits its contribution, the node's sum goes up once every local device has deposited, and every device waits
 * for the round's average. Shared by the device threads of one segment; the reducers and mailboxes are safe for them.
 *
 * <p>DiLoCo's outer rounds have their own reducer and mailbox, kept apart from the inner rounds' because their ids
 * sort after every inner round.
 */
final class RoundExchange {

    /** An inner round's average, and what the round cost in wall time beyond this chip's own work. */
    record Inner(RoundMailbox.Update update, long commNanos) {
    }

    /** What an outer round cost the device, and whether its committed average carried the stop mark. */
    record Outer(long waitNanos, long wanBytes, boolean stop) {
    }

    private final UUID jobId;
    private final Plan plan;
    private final RoundMailbox mailbox;
    private final NodeReducer reducer;
    private final RoundMailbox outerMailbox;
    private final NodeReducer outerReducer;
    private final JobRun.Outbox outbox;
    private final StateHandover handover;
    private final Pacer pacer;
    /** The job is being cancelled: the node's contributions ask every replica to stop after their round. */
    private final BooleanSupplier stopRequested;
    private final long roundTimeoutMillis;

    /** @param parts what each local device deposits of the flat vector of {@code total} parameters, by position */
    RoundExchange(Plan plan, String nodeId, List<NodeReducer.Part> parts, long total, JobRun.Outbox outbox,
                  StateHandover handover, Pacer pacer, BooleanSupplier stopRequested, long roundTimeoutMillis) {
        this.jobId = plan.jobId();
        this.plan = plan;
        this.mailbox = new RoundMailbox(parts.size());
        this.reducer = new NodeReducer(plan.jobId(), plan.planVersion(), nodeId, parts, total);
        this.outerMailbox = new RoundMailbox(parts.size());
        this.outerReducer = new NodeReducer(plan.jobId(), plan.planVersion(), nodeId, parts, total);
        this.outbox = outbox;
        this.handover = handover;
        this.pacer = pacer;
        this.stopRequested = stopRequested;
        this.roundTimeoutMillis = roundTimeoutMillis;
    }

    /** Where the relay's averages of round {@code round} arrive. */
    RoundMailbox mailboxOf(long round) {
        return Rounds.isOuter(round) ? outerMailbox : mailbox;
    }

    /**
     * Rounds from {@code startStep} on are not this version's. An outer round belongs to the step it follows, so the
     * outer round after step {@code startStep − 1} still completes here.
     */
    void supersedeFrom(long startStep, String why) {
        mailbox.supersedeFrom(startStep, why);
        outerMailbox.supersedeFrom(Rounds.outer(startStep), why);
    }

    /** Wakes every device waiting for a round with the failure {@code reason}. */
    void failAll(String reason) {
        mailbox.failAll(new IllegalStateException(reason));
        outerMailbox.failAll(new IllegalStateException(reason));
    }

    /**
     * Inner round {@code step} of the device at {@code position}: its gradient goes in, the average comes back; under
     * emulation not before this chip is done, nor before the slowest chip of the round is. Null when a newer plan
     * took over the round.
     */
    Inner inner(int position, int step, DeviceStepPath path, PlanDevice device, StepReport.Work work,
                boolean emulated) throws TimeoutException, InterruptedException {
        List<byte[]> chunks = reducer.deposit(step, position, path.gradient(), device.batch(), work.readyAtMs());
        long nodeReadyAt = chunks.isEmpty() ? 0L : reducer.readyAtOfLastRound();
        // DiLoCo's inner rounds stay in the datacenter: a mark on them would reach only its replicas
        boolean askStop = !plan.diloco() && stopRequested.getAsBoolean();
        send(reducer, step, device, chunks, nodeReadyAt, askStop);
        long sentAt = System.nanoTime();
        RoundMailbox.Update update;
        try {
            update = mailbox.take(step, roundTimeoutMillis);
        } catch (RoundMailbox.Superseded e) {
            return null;
        }
        long waitFrom = sentAt;
        if (emulated) {
            // not before this chip is done, nor before the slowest chip of the round is
            pacer.paceUntil(work.t0(), work.paced());
            waitFrom = Math.max(sentAt, work.t0() + (long) (work.paced() * 1e9));
            paceLate(update);
        }
        // waiting on synchronisation beyond this chip's own work: what the round cost in wall time
        return new Inner(update, Math.max(0, System.nanoTime() - waitFrom));
    }

    /**
     * DiLoCo's outer round after inner step {@code step}: the node adds its replicas' sample-weighted Δ and sends it
     * to the datacenter's relay, which exchanges the datacenters' (quantized) Δ over the WAN and returns the
     * sample-weighted average; every replica then takes the same outer step. Null when a newer plan took over.
     */
    Outer outer(int position, DeviceStepPath path, PlanDevice device, int step, boolean emulated)
            throws TimeoutException, InterruptedException {
        long round = Rounds.outer(step);
        long t0 = System.nanoTime();
        List<byte[]> chunks = outerReducer.deposit(round, position, path.weightedPseudoGradient(),
                path.samplesSinceOuter(), emulated ? System.currentTimeMillis() : 0L);
        long readyAt = chunks.isEmpty() ? 0L : outerReducer.readyAtOfLastRound();
        send(outerReducer, round, device, chunks, readyAt, stopRequested.getAsBoolean());
        RoundMailbox.Update update;
        try {
            update = outerMailbox.take(round, roundTimeoutMillis);
        } catch (RoundMailbox.Superseded e) {
            return null;
        }
        if (emulated) {
            paceLate(update); // the emulated WAN transfer
        }
        path.applyOuter(update.averaged());
        // a stage holds a part of the state only: this per-round copy is for whole-replica plans
        if (device.rank() == lowestRank() && !plan.pipelined()) {
            // the round's committed result, for joiners and restarts (compacted: the latest per key stays)
            handover.publish(path, plan.planVersion(), step);
        }
        return new Outer(System.nanoTime() - t0, update.wanBytes(), update.stop());
    }

    /** The node's sum of a round, when this device's deposit completed it (no chunks otherwise). */
    private void send(NodeReducer from, long round, PlanDevice device, List<byte[]> chunks, long readyAtMs,
                      boolean askStop) {
        for (int i = 0; i < chunks.size(); i++) {
            outbox.sendGradient(Topics.gradUp(device.datacenter()),
                    GradientHeaders.upKey(jobId, round, device.nodeId(), from.chunkIndex(i)), chunks.get(i),
                    readyAtMs, askStop);
        }
    }

    /** Under emulation: not before the emulated time the round's average is ready. */
    private void paceLate(RoundMailbox.Update update) {
        long late = update.readyAtMs() - System.currentTimeMillis();
        if (late > 0) {
            pacer.paceUntil(pacer.now(), late / 1000.0);
        }
    }

    private int lowestRank() {
        return plan.devices().stream().mapToInt(PlanDevice::rank).min().orElse(0);
    }
}
