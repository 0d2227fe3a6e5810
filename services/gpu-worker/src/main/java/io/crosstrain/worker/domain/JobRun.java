package io.crosstrain.worker.domain;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.crosstrain.contracts.GradientHeaders;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.training.Corpus;
import io.crosstrain.training.Pacer;

/**
 * Runs one plan on the devices of this node: one thread per device, synchronous rounds (one round per step).
 * Under emulation each device holds its gradient back until the step has taken the paced time of its chip, so the
 * cluster behaves like the mix of chips it stands for (ARCHITECTURE.md §6).
 */
public final class JobRun {

    private static final Logger log = LoggerFactory.getLogger(JobRun.class);

    /** Where a run's output goes; the service backs it with Kafka. */
    public interface Outbox {
        void sendGradient(String topic, String key, byte[] chunk);

        void publishMetric(StepMetric metric);
    }

    private final Plan plan;
    private final List<PlanDevice> localDevices;
    private final Corpus corpus;
    private final Outbox outbox;
    private final long roundTimeoutMillis;
    private final RoundMailbox mailbox;
    private final Pacer pacer = new Pacer();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private volatile Runnable onFinished = () -> { };

    private volatile String sample;
    private final NodeReducer reducer;

    public JobRun(Plan plan, List<PlanDevice> localDevices, Corpus corpus, Outbox outbox, long roundTimeoutMillis) {
        this.plan = plan;
        this.localDevices = new ArrayList<>(localDevices);
        this.corpus = corpus;
        this.outbox = outbox;
        this.roundTimeoutMillis = roundTimeoutMillis;
        this.mailbox = new RoundMailbox(localDevices.size());
        this.localDevices.sort(java.util.Comparator.comparingInt(PlanDevice::rank));
        this.reducer = new NodeReducer(plan.jobId(), plan.planVersion(), localDevices.get(0).nodeId(),
                localDevices.size(), (int) plan.model().parameters(corpus.vocabSize()));
    }

    static final String SAMPLE_PROMPT = "The ";

    /** Text sampled from the trained model once the run finished (null before, or on other nodes). */
    public String sample() {
        return sample;
    }

    public Plan plan() {
        return plan;
    }

    public RoundMailbox mailbox() {
        return mailbox;
    }

    public void onFinished(Runnable callback) {
        this.onFinished = callback;
    }

    public synchronized void start() {
        for (PlanDevice device : localDevices) {
            Thread t = new Thread(() -> runDevice(device), "device-" + device.deviceId());
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        Thread waiter = new Thread(() -> {
            for (Thread t : threads) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            onFinished.run();
        }, "job-" + plan.jobId());
        waiter.setDaemon(true);
        waiter.start();
    }

    public void stop(String reason) {
        if (stopped.compareAndSet(false, true)) {
            log.info("stopping job {} on this node: {}", plan.jobId(), reason);
            mailbox.failAll(new IllegalStateException(reason));
        }
    }

    private void runDevice(PlanDevice device) {
        boolean emulated = Plan.EMULATED.equals(plan.mode());
        String upTopic = Topics.gradUp(device.datacenter());
        int position = localDevices.indexOf(device);
        int step = 0;
        try (DeviceStepPath path = new DeviceStepPath(plan, device, corpus.tokens(), corpus.vocabSize())) {
            for (step = 1; step <= plan.steps() && !stopped.get(); step++) {
                long t0 = System.nanoTime();
                long startedAtMs = System.currentTimeMillis();
                DeviceStepPath.Computed computed = path.compute(step);
                if (emulated) {
                    pacer.paceUntil(t0, device.pacedStepSeconds());
                }
                // a device whose real compute overran its paced time was slower than its chip: count what it took
                long busyNanos = emulated
                        ? Math.max((long) (device.pacedStepSeconds() * 1e9), computed.computeNanos())
                        : computed.computeNanos();
                List<byte[]> chunks = reducer.deposit(step, position, path.gradient(), device.batch());
                for (int i = 0; i < chunks.size(); i++) {
                    outbox.sendGradient(upTopic, GradientHeaders.upKey(plan.jobId(), step, device.nodeId(), i),
                            chunks.get(i));
                }
                long sentAt = System.nanoTime();
                RoundMailbox.Update update = mailbox.take(step, roundTimeoutMillis);
                long commNanos = System.nanoTime() - sentAt;
                path.apply(update.averaged());
                boolean last = step == plan.steps();
                int hashEvery = Math.max(1, plan.hashEvery());
                String hash = last || step % hashEvery == 0 ? path.weightsHash() : null;
                long endNanos = System.nanoTime();
                outbox.publishMetric(new StepMetric(plan.jobId(), plan.planVersion(), device.deviceId(),
                        device.datacenter(), device.chip(), step, device.batch(), computed.loss(),
                        computed.computeNanos() / 1e6, busyNanos / 1e6, commNanos / 1e6, (endNanos - t0) / 1e6,
                        startedAtMs, startedAtMs + (endNanos - t0) / 1_000_000, update.wanBytes(),
                        path.parameterCount(), hash, plan.mode(), last, null));
            }
            if (device.rank() == 0 && step > plan.steps()) {
                // all replicas are identical, so any one of them speaks for the trained model
                sample = path.trainer().generate(corpus.tokenizer(), SAMPLE_PROMPT, 240, 0.8, plan.seed());
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
    }

    private void fail(PlanDevice device, int step, String reason) {
        if (stopped.get()) {
            return;
        }
        outbox.publishMetric(new StepMetric(plan.jobId(), plan.planVersion(), device.deviceId(), device.datacenter(),
                device.chip(), step, device.batch(), Double.NaN, 0, 0, 0, 0, System.currentTimeMillis(),
                System.currentTimeMillis(), 0, 0, null, plan.mode(), false, reason));
        stop(reason);
    }
}
