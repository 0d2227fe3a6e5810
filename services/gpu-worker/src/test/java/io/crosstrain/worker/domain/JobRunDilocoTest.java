package io.crosstrain.worker.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.Rounds;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.SyncSpec;
import io.crosstrain.training.Corpus;
import io.crosstrain.training.DeviceTrainer;
import io.crosstrain.training.OuterOptimizer;

/**
 * DiLoCo inside the worker: two datacenters with one node each; an in-test relay averages inner rounds inside each
 * datacenter and outer rounds across both. The replicas must end exactly where a direct computation of DiLoCo with
 * the same trainers and {@link OuterOptimizer} ends.
 */
class JobRunDilocoTest {

    private static final ModelSpec MODEL = new ModelSpec(1, 16, 2, 16, 0);
    private static final Corpus CORPUS = Corpus.of("The quick brown fox jumps over the lazy dog. ".repeat(200));
    private static final int STEPS = 7;
    private static final int H = 3;

    /**
     * Inner rounds: back to the sender's datacenter. Outer rounds: a then b, summed, divided by their samples, marked
     * to stop when either datacenter's contribution asked to. Inner averages are marked too once their datacenter
     * asked to stop: such a mark reaches one datacenter only, and the replicas must not act on it.
     */
    private static final class TwoDcRelay implements JobRun.Outbox {
        final List<StepMetric> metrics = new CopyOnWriteArrayList<>();
        final Map<String, JobRun> runByDc = new TreeMap<>();
        final Map<Long, Map<String, Chunk>> outer = new TreeMap<>();
        final Map<Long, Boolean> outerMarks = new TreeMap<>();
        final List<Long> outerRounds = new CopyOnWriteArrayList<>();
        final List<Long> markedOuterRounds = new CopyOnWriteArrayList<>();
        final Set<String> askedToStop = new java.util.HashSet<>();
        final List<byte[]> modelState = new CopyOnWriteArrayList<>();

        @Override
        public void sendGradient(String topic, String key, byte[] bytes) {
            sendGradient(topic, key, bytes, 0L, false);
        }

        @Override
        public synchronized void sendGradient(String topic, String key, byte[] bytes, long readyAtMs, boolean stop) {
            if (topic.equals(io.crosstrain.contracts.Topics.MODEL_STATE)) {
                modelState.add(bytes);
                return;
            }
            Chunk c = TensorCodec.decode(bytes);
            ChunkMeta meta = c.meta();
            String dc = meta.sender().equals("n-a") ? "a" : "b";
            if (stop) {
                askedToStop.add(dc);
            }
            if (!Rounds.isOuter(meta.round())) {
                float[] avg = c.values();
                for (int i = 0; i < avg.length; i++) {
                    avg[i] /= meta.sampleCount();
                }
                deliver(runByDc.get(dc), meta, avg, askedToStop.contains(dc));
                return;
            }
            Map<String, Chunk> parts = outer.computeIfAbsent(meta.round(), r -> new TreeMap<>());
            parts.put(dc, c);
            outerMarks.merge(meta.round(), stop, Boolean::logicalOr);
            if (parts.size() < 2) {
                return;
            }
            outerRounds.add(meta.round());
            boolean mark = outerMarks.remove(meta.round());
            if (mark) {
                markedOuterRounds.add(meta.round());
            }
            float[] sum = parts.get("a").values();
            float[] vb = parts.get("b").values();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += vb[i];
            }
            int w = parts.get("a").meta().sampleCount() + parts.get("b").meta().sampleCount();
            for (int i = 0; i < sum.length; i++) {
                sum[i] /= w;
            }
            runByDc.values().forEach(r -> deliver(r, meta, sum, mark));
        }

        private static void deliver(JobRun run, ChunkMeta meta, float[] values, boolean stop) {
            for (byte[] c : TensorCodec.encode(meta.withSender("relay"), values)) {
                run.offer(meta.planVersion(), meta.round(), TensorCodec.view(c), 0, 0, stop);
            }
        }

        boolean reported(String device, int step) {
            return metrics.stream().anyMatch(m -> m.deviceId().equals(device) && m.step() == step);
        }

        @Override
        public void publishMetric(StepMetric metric) {
            metrics.add(metric);
        }
    }

    /** One device in each of two datacenters, a and b. */
    static final List<PlanDevice> TWO_DCS = List.of(
            new PlanDevice("d-a", "n-a", "a", "A100-80G", 0, 3, 1, 100.0, 0.0),
            new PlanDevice("d-b", "n-b", "b", "H20", 1, 5, 1, 100.0, 0.0));

    /** DiLoCo over {@link #TWO_DCS}: H inner steps, fp32 outer rounds, outer lr 0.7, momentum 0.5. */
    static Plan twoDcPlan(UUID job, int steps) {
        return new Plan(job, 1, "diloco", "balanced", Plan.MEASURED, null, MODEL, DatasetSpec.bundled(), steps,
                8, 0.01, 7, 2, List.of("a", "b"), TWO_DCS, null, 1, "first plan", false,
                new SyncSpec(H, "fp32", 0.7, 0.5), List.of());
    }

    @Test
    void innerRoundsStayInTheDatacenterAndOuterStepsMatchDilocoComputedDirectly() throws Exception {
        UUID job = UUID.randomUUID();
        List<PlanDevice> devices = TWO_DCS;
        Plan plan = twoDcPlan(job, STEPS);
        TwoDcRelay relay = new TwoDcRelay();
        JobRun ra = new JobRun(plan, Set.of("d-a"), CORPUS, relay, 60_000, id -> 1.0);
        JobRun rb = new JobRun(plan, Set.of("d-b"), CORPUS, relay, 60_000, id -> 1.0);
        relay.runByDc.put("a", ra);
        relay.runByDc.put("b", rb);
        CountDownLatch done = new CountDownLatch(2);
        ra.onFinished(done::countDown);
        rb.onFinished(done::countDown);
        ra.start();
        rb.start();
        assertThat(done.await(120, TimeUnit.SECONDS)).isTrue();

        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");
        assertThat(relay.outerRounds).containsExactly(Rounds.outer(3), Rounds.outer(6), Rounds.outer(7));
        // replicas of different datacenters agree only right after an outer round: hashes only there
        assertThat(relay.metrics.stream().filter(m -> m.weightsHash() != null).map(StepMetric::step).distinct()
                .sorted().toList()).containsExactly(3, 6, 7);
        for (int step : List.of(3, 6, 7)) {
            assertThat(relay.metrics.stream().filter(m -> m.step() == step).map(StepMetric::weightsHash).distinct())
                    .as("replicas after the outer round of step %d", step).hasSize(1);
        }
        // inner rounds report their datacenter's samples
        assertThat(relay.metrics.stream().filter(m -> m.deviceId().equals("d-b")).map(StepMetric::roundSamples))
                .containsOnly(5);

        // every outer round's result went to model-state: the last one is the final global model and momentum
        ModelStateCodec.Assembler published = new ModelStateCodec.Assembler(job, STEPS, true);
        relay.modelState.forEach(published::accept);
        assertThat(published.complete()).isTrue();
        ModelStateCodec.Snapshot snapshot = published.snapshot();
        assertThat(snapshot.outer().steps()).isEqualTo(3);
        assertThat(snapshot.outer().global()).containsExactly(snapshot.trainer().weights());

        String expected = reference(plan, devices);
        String last = relay.metrics.stream().filter(m -> m.step() == STEPS).findFirst().orElseThrow().weightsHash();
        assertThat(last).isEqualTo(expected);
    }

    @Test
    void aCancelStopsBothDatacentersRightAfterTheSameOuterRound() throws Exception {
        UUID job = UUID.randomUUID();
        // unpaced, 30 steps of this model can all finish between two polls: room enough to stop well before the end
        int steps = 600;
        List<PlanDevice> devices = TWO_DCS;
        Plan plan = twoDcPlan(job, steps);
        TwoDcRelay relay = new TwoDcRelay();
        JobRun ra = new JobRun(plan, Set.of("d-a"), CORPUS, relay, 60_000, id -> 1.0);
        JobRun rb = new JobRun(plan, Set.of("d-b"), CORPUS, relay, 60_000, id -> 1.0);
        relay.runByDc.put("a", ra);
        relay.runByDc.put("b", rb);
        CountDownLatch done = new CountDownLatch(2);
        ra.onFinished(done::countDown);
        rb.onFinished(done::countDown);
        ra.start();
        rb.start();

        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                .pollInterval(java.time.Duration.ofMillis(1)).until(() -> relay.reported("d-a", 4));
        // only datacenter a learns of the cancel; its inner rounds come back marked from now on (a mark that never
        // left the datacenter), which neither replica may stop on
        assertThat(ra.requestStop("test cancel")).isTrue();
        assertThat(done.await(120, TimeUnit.SECONDS)).isTrue();

        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");
        assertThat(relay.markedOuterRounds).hasSize(1);
        int stopStep = (int) Rounds.step(relay.markedOuterRounds.get(0));
        assertThat(stopStep % H).as("an outer-round boundary").isZero();
        assertThat(stopStep).isGreaterThan(4).isLessThan(steps);
        for (String d : List.of("d-a", "d-b")) {
            List<StepMetric> mine = relay.metrics.stream().filter(m -> m.deviceId().equals(d)).toList();
            assertThat(mine).extracting(StepMetric::step).containsExactlyInAnyOrderElementsOf(
                    java.util.stream.IntStream.rangeClosed(1, stopStep).boxed().toList());
            assertThat(mine.stream().filter(StepMetric::last).map(StepMetric::step).toList())
                    .as("%s's last step", d).containsExactly(stopStep);
        }
        List<String> lastHashes = relay.metrics.stream().filter(StepMetric::last).map(StepMetric::weightsHash)
                .toList();
        assertThat(lastHashes).hasSize(2).doesNotContainNull();
        assertThat(lastHashes.get(0)).as("replicas identical after the outer round").isEqualTo(lastHashes.get(1));
        assertThat(ra.stoppedAfter()).isEqualTo(stopStep);
        assertThat(rb.stoppedAfter()).isEqualTo(stopStep);
        assertThat(relay.outerRounds).last().isEqualTo(Rounds.outer(stopStep));
    }

    /** DiLoCo computed directly: the same float operations in the same order, no worker involved. */
    private static String reference(Plan plan, List<PlanDevice> devices) {
        int vocab = CORPUS.vocabSize();
        List<DeviceTrainer> trainers = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            trainers.add(new DeviceTrainer(MODEL, vocab, plan.seed(), plan.learningRate()));
        }
        try {
            List<OuterOptimizer> outers = new ArrayList<>();
            for (DeviceTrainer t : trainers) {
                outers.add(new OuterOptimizer(t.weights(), 0.7, 0.5));
            }
            int n = trainers.get(0).parameterCount();
            long[] since = new long[devices.size()];
            for (int step = 1; step <= STEPS; step++) {
                for (int i = 0; i < devices.size(); i++) {
                    PlanDevice d = devices.get(i);
                    float[] g = new float[n];
                    trainers.get(i).forwardBackwardInto(DeviceTrainer.sample(CORPUS.tokens(), plan.seed(), step,
                            d.rank(), d.batch(), MODEL.seqLen()), g);
                    for (int k = 0; k < n; k++) {
                        g[k] /= d.batch();
                    }
                    trainers.get(i).applyUpdate(g);
                    since[i] += d.batch();
                }
                if (step % H == 0 || step == STEPS) {
                    float[] sum = null;
                    long w = 0;
                    for (int i = 0; i < devices.size(); i++) {
                        float[] delta = outers.get(i).pseudoGradient(trainers.get(i).weights());
                        for (int k = 0; k < n; k++) {
                            delta[k] *= (float) since[i];
                        }
                        w += since[i];
                        if (sum == null) {
                            sum = delta;
                        } else {
                            for (int k = 0; k < n; k++) {
                                sum[k] += delta[k];
                            }
                        }
                        since[i] = 0;
                    }
                    for (int k = 0; k < n; k++) {
                        sum[k] /= w;
                    }
                    for (int i = 0; i < devices.size(); i++) {
                        trainers.get(i).loadWeights(outers.get(i).step(sum));
                    }
                }
            }
            assertThat(trainers.get(0).weightsHash()).isEqualTo(trainers.get(1).weightsHash());
            return trainers.get(0).weightsHash();
        } finally {
            trainers.forEach(DeviceTrainer::close);
        }
    }
}
