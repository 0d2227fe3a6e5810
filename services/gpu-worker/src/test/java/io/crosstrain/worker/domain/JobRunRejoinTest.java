package io.crosstrain.worker.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.training.Corpus;

/**
 * Several versions received between two switches, as a restarted worker reads them in one poll: each takes over at
 * its own start step, and a node that one version leaves out and the next takes back sits out the steps between and
 * joins again with the state the others publish.
 */
class JobRunRejoinTest {

    private static final ModelSpec MODEL = new ModelSpec(1, 16, 2, 16, 0);
    private static final Corpus CORPUS = Corpus.of("The quick brown fox jumps over the lazy dog. ".repeat(200));
    private static final int STEPS = 8;

    @Test
    void aNodeLeftOutByOneVersionAndTakenBackByTheNextSitsOutOnlyTheStepsBetween() throws Exception {
        UUID job = UUID.randomUUID();
        Plan v1 = new Plan(job, 1, "sync-dp", "balanced", Plan.MEASURED, null, MODEL, DatasetSpec.bundled(), STEPS, 8,
                0.01, 7, 2, List.of("dc"), List.of(device("d0", "n1", 0, 4), device("d1", "n2", 1, 4)), null, 1,
                "first", false);
        Plan v2 = v1.next(List.of("dc"), List.of(device("d0", "n1", 0, 8)), null, 3, "n2 lost", false);
        Plan v3 = v2.next(List.of("dc"), List.of(device("d0", "n1", 0, 4), device("d1", "n2", 1, 4)), null, 5,
                "n2 back", false);
        InProcessRelay relay = new InProcessRelay().plan(v1).plan(v2).plan(v3);
        // round 2 completes only once both nodes hold versions 2 and 3, unswitched
        relay.gated = m -> m.planVersion() == 1 && m.round() == 2;
        JobRun.StateSource topic = relay.states(new StateClaimCheck(null));
        JobRun n1 = new JobRun(v1, Set.of("d0"), CORPUS, relay, 30_000, id -> 1.0, topic);
        JobRun n2 = new JobRun(v1, Set.of("d1"), CORPUS, relay, 30_000, id -> 1.0, topic);
        relay.run("n1", n1).run("n2", n2);
        CountDownLatch done = new CountDownLatch(2);
        n1.onFinished(done::countDown);
        n2.onFinished(done::countDown);
        n1.start();
        n2.start();
        await().atMost(Duration.ofMinutes(1)).until(() -> relay.reported("d0", 1) && relay.reported("d1", 1));
        for (JobRun run : List.of(n1, n2)) {
            assertThat(run.replan(v2)).isTrue();
            assertThat(run.replan(v3)).isTrue();
        }
        relay.gate.countDown();
        assertThat(done.await(2, TimeUnit.MINUTES)).isTrue();

        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");
        Map<Integer, Integer> samples = new HashMap<>();
        relay.metrics.forEach(m -> samples.merge(m.step(), m.batch(), Integer::sum));
        assertThat(samples).as("every step once, all 8 samples").hasSize(STEPS).allSatisfy((s, n) ->
                assertThat(n).as("samples of step %d", s).isEqualTo(8));
        assertThat(relay.metrics.stream().filter(m -> m.deviceId().equals("d1")).map(StepMetric::step).toList())
                .containsExactlyInAnyOrder(1, 2, 5, 6, 7, 8);
        for (int step = 1; step <= STEPS; step++) {
            int version = step < 3 ? 1 : step < 5 ? 2 : 3;
            assertThat(relay.metric("d0", step, version)).as("d0 step %d under v%d", step, version).isNotNull();
        }
        for (int step = 6; step <= STEPS; step += 2) { // hashed every second step
            assertThat(relay.metric("d1", step, 3).weightsHash()).as("replicas after step %d", step).isNotNull()
                    .isEqualTo(relay.metric("d0", step, 3).weightsHash());
        }
    }

    @Test
    void aJoinWaitingForStateThatNeverComesGivesWayToAVersionTakingOverEarlier() throws Exception {
        UUID job = UUID.randomUUID();
        // d0 joins at step 5, but no one publishes the state after step 4 (the nodes holding it were lost)
        Plan v1 = new Plan(job, 1, "sync-dp", "balanced", Plan.MEASURED, null, MODEL, DatasetSpec.bundled(), STEPS, 8,
                0.01, 7, 2, List.of("dc"), List.of(device("d0", "n1", 0, 8)), null, 5, "d0 joins", false);
        // the recovery goes back to the start
        Plan v2 = v1.next(List.of("dc"), List.of(device("d0", "n1", 0, 8)), null, 1, "recovery from step 1", false);
        InProcessRelay relay = new InProcessRelay().plan(v1).plan(v2);
        JobRun run = new JobRun(v1, Set.of("d0"), CORPUS, relay, 30_000, id -> 1.0,
                relay.states(new StateClaimCheck(null)));
        relay.run("n1", run);
        CountDownLatch done = new CountDownLatch(1);
        run.onFinished(done::countDown);
        run.start();
        Thread.sleep(500); // the run is (most likely) waiting for the state after step 4 by now
        assertThat(run.replan(v2)).isTrue();
        assertThat(done.await(2, TimeUnit.MINUTES)).isTrue();

        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");
        assertThat(relay.metrics).extracting(StepMetric::step).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(relay.metrics).extracting(StepMetric::planVersion).containsOnly(2);
    }

    @Test
    void aDilocoNodeThatRanPastWhereARecoveryTakesOverRedoesThoseStepsFromTheOuterRoundBefore() throws Exception {
        UUID job = UUID.randomUUID();
        int steps = 6;
        // datacenter a is n1 alone, b is n2 and n3; outer rounds after steps 2, 4 and 6
        List<PlanDevice> all = List.of(device("d0", "n1", "a", 0, 4), device("d1", "n2", "b", 1, 2),
                device("d2", "n3", "b", 2, 2));
        Plan v1 = new Plan(job, 1, "diloco", "balanced", Plan.MEASURED, null, MODEL, DatasetSpec.bundled(), steps, 8,
                0.01, 7, 2, List.of("a", "b"), all, null, 1, "first", false,
                new io.crosstrain.contracts.SyncSpec(2, "fp32", 0.7, 0.5), List.of());
        // n3 dies after the outer round of step 2: b's inner rounds stall, a's (n1 alone) go on to step 4's outer round
        Plan v2 = v1.next(List.of("a", "b"), List.of(device("d0", "n1", "a", 0, 4), device("d1", "n2", "b", 1, 4)),
                null, 3, "n3 lost", true);
        InProcessRelay relay = new InProcessRelay().plan(v1).plan(v2);
        relay.hold = m -> m.sender().equals("n3") && io.crosstrain.contracts.Rounds.step(m.round()) >= 3;
        JobRun.StateSource topic = relay.states(new StateClaimCheck(null));
        JobRun n1 = new JobRun(v1, Set.of("d0"), CORPUS, relay, 30_000, id -> 1.0, topic);
        JobRun n2 = new JobRun(v1, Set.of("d1"), CORPUS, relay, 30_000, id -> 1.0, topic);
        JobRun n3 = new JobRun(v1, Set.of("d2"), CORPUS, relay, 30_000, id -> 1.0, topic);
        relay.run("n1", n1).run("n2", n2).run("n3", n3);
        CountDownLatch done = new CountDownLatch(3);
        for (JobRun run : List.of(n1, n2, n3)) {
            run.onFinished(done::countDown);
            run.start();
        }
        await().atMost(Duration.ofMinutes(1)).until(() -> relay.reported("d0", 3));
        for (JobRun run : List.of(n1, n2, n3)) {
            assertThat(run.replan(v2)).isTrue();
        }
        assertThat(done.await(2, TimeUnit.MINUTES)).isTrue();

        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");
        // as the report counts them: each step under the newest version that reported it
        Map<Integer, Integer> newest = new HashMap<>();
        relay.metrics.forEach(m -> newest.merge(m.step(), m.planVersion(), Math::max));
        Map<Integer, Integer> samples = new HashMap<>();
        relay.metrics.stream().filter(m -> m.planVersion() == newest.get(m.step()))
                .forEach(m -> samples.merge(m.step(), m.batch(), Integer::sum));
        assertThat(samples).as("every step once, all 8 samples").hasSize(steps).allSatisfy((s, n) ->
                assertThat(n).as("samples of step %d", s).isEqualTo(8));
        assertThat(relay.metric("d0", 3, 2)).as("d0 redid step 3 under v2").isNotNull();
        for (int step = 4; step <= steps; step += 2) { // outer rounds, hashed every second step
            assertThat(relay.metric("d1", step, 2).weightsHash()).as("replicas after step %d", step).isNotNull()
                    .isEqualTo(relay.metric("d0", step, 2).weightsHash());
        }
    }

    @Test
    void onlyAnOuterRoundBeforeTheTakeOverLetsANodeGoBack() {
        UUID job = UUID.randomUUID();
        List<PlanDevice> one = List.of(device("d0", "n1", "a", 0, 8));
        Plan diloco = new Plan(job, 1, "diloco", "balanced", Plan.MEASURED, null, MODEL, DatasetSpec.bundled(), 8, 8,
                0.01, 7, 2, List.of("a"), one, null, 1, "first", false,
                new io.crosstrain.contracts.SyncSpec(4, "fp32", 0.7, 0.5), List.of());
        assertThat(JobRun.rollsBackToOuterRound(diloco, diloco.next(List.of("a"), one, null, 5, "r", true))).isTrue();
        assertThat(JobRun.rollsBackToOuterRound(diloco, diloco.next(List.of("a"), one, null, 4, "r", true)))
                .as("mid-round: no shared state to go back to").isFalse();
        Plan sync = new Plan(job, 1, "sync-dp", "balanced", Plan.MEASURED, null, MODEL, DatasetSpec.bundled(), 8, 8,
                0.01, 7, 2, List.of("a"), one, null, 1, "first", false);
        assertThat(JobRun.rollsBackToOuterRound(sync, sync.next(List.of("a"), one, null, 5, "r", true))).isFalse();
    }

    private static PlanDevice device(String id, String node, int rank, int batch) {
        return device(id, node, "dc", rank, batch);
    }

    private static PlanDevice device(String id, String node, String dc, int rank, int batch) {
        return new PlanDevice(id, node, dc, "A100-80G", rank, batch, 1, 100.0, 0.0);
    }
}
