package io.crosstrain.worker.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.crosstrain.checkpoint.CorruptCheckpointException;
import io.crosstrain.checkpoint.LocalDirectoryStore;
import io.crosstrain.checkpoint.ShardCodec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.training.Corpus;
import io.crosstrain.training.DeviceTrainer;
import io.crosstrain.worker.pipeline.ActivationHub;

/**
 * Model state too large for a Kafka record travels as a pointer into the checkpoint store: the assembled state is the
 * published one bit for bit, and a pointer whose stored bytes changed is refused.
 */
class StateClaimCheckTest {

    private static final Corpus CORPUS = Corpus.of("The quick brown fox jumps over the lazy dog. ".repeat(200));
    private final UUID job = UUID.randomUUID();

    @TempDir
    Path dir;

    private static ModelStateCodec.Snapshot randomSnapshot(int n) {
        Random rnd = new Random(3);
        return new ModelStateCodec.Snapshot(new DeviceTrainer.State(23, random(rnd, n), random(rnd, n),
                random(rnd, n)), new ModelStateCodec.OuterState(random(rnd, n), random(rnd, n), 4));
    }

    private static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian();
        }
        return v;
    }

    @Test
    void aRangeAboveOneMebibyteTravelsAsAPointerAndIsAssembledFromTheStoreBitForBit() throws Exception {
        LocalDirectoryStore store = new LocalDirectoryStore(dir);
        StateClaimCheck claims = new StateClaimCheck(store);
        int count = 60_000; // 5 vectors of float32: 1.2 MB
        long offset = 5_000;
        assertThat(claims.inline(count, true)).isFalse();
        assertThat(claims.inline(count, false)).as("3 vectors: 720 KB").isTrue();
        assertThat(new StateClaimCheck(null).inline(count, true)).as("without a store").isTrue();
        ModelStateCodec.Snapshot state = randomSnapshot(count);

        ModelStateCodec.Record pointer = claims.put(job, 2, 41, offset, "n1", state);
        assertThat(pointer.key()).isEqualTo(job + ":state-ref@" + offset + "+" + count);
        assertThat(pointer.value().length).as("a small record").isLessThan(1024);
        StateClaimCheck.Ref ref = StateClaimCheck.Ref.decode(pointer.value());
        assertThat(ref.key()).startsWith("jobs/" + job + "/handover/v2-step41/n1/");
        assertThat(ShardCodec.sha256Hex(store.get(ref.key()).orElseThrow())).isEqualTo(ref.sha256());

        // the reader's side, with a store of its own over the same directory
        StateClaimCheck reader = new StateClaimCheck(new LocalDirectoryStore(dir));
        ModelStateCodec.RangeAssembler whole = new ModelStateCodec.RangeAssembler(job, 41, offset, count, true,
                reader);
        assertThat(new ModelStateCodec.RangeAssembler(job, 40, offset, count, true, reader).accept(pointer.value()))
                .as("a pointer of another round").isFalse();
        assertThat(whole.accept(pointer.value())).isTrue();
        assertThat(whole.accept(pointer.value())).as("the same pointer again").isFalse();
        assertThat(whole.complete()).isTrue();
        ModelStateCodec.Snapshot got = whole.snapshot();
        assertThat(got.trainer().updates()).isEqualTo(23);
        assertThat(got.trainer().weights()).containsExactly(state.trainer().weights());
        assertThat(got.trainer().means()).containsExactly(state.trainer().means());
        assertThat(got.trainer().variances()).containsExactly(state.trainer().variances());
        assertThat(got.outer().global()).containsExactly(state.outer().global());
        assertThat(got.outer().velocity()).containsExactly(state.outer().velocity());
        assertThat(got.outer().steps()).isEqualTo(4);

        // a part of the range, as a device whose stage lies inside it would want
        ModelStateCodec.RangeAssembler part = new ModelStateCodec.RangeAssembler(job, 41, offset + 1_000, 7_000,
                false, reader);
        assertThat(part.accept(pointer.value())).isTrue();
        assertThat(part.snapshot().trainer().weights()).containsExactly(java.util.Arrays.copyOfRange(
                state.trainer().weights(), 1_000, 8_000));
    }

    @Test
    void aPointerWhoseStoredBytesWereChangedIsRejectedByItsHash() throws Exception {
        LocalDirectoryStore store = new LocalDirectoryStore(dir);
        StateClaimCheck claims = new StateClaimCheck(store);
        ModelStateCodec.Record pointer = claims.put(job, 1, 7, 0, "n1", randomSnapshot(60_000));
        StateClaimCheck.Ref ref = StateClaimCheck.Ref.decode(pointer.value());
        byte[] bytes = store.get(ref.key()).orElseThrow();
        bytes[ShardCodec.HEADER_BYTES + 12_345] ^= 0x01; // one bit of one weight
        store.put(ref.key(), bytes);

        ModelStateCodec.RangeAssembler a = new ModelStateCodec.RangeAssembler(job, 7, 0, 60_000, true, claims);
        assertThat(a.accept(pointer.value())).isFalse();
        assertThat(a.complete()).isFalse();
        assertThatThrownBy(() -> claims.resolve(ref)).isInstanceOf(CorruptCheckpointException.class)
                .hasMessageContaining("SHA-256");
    }

    /**
     * A device on another node joins a job whose state is above the limit: the node that holds it publishes a pointer
     * only, and the joiner, assembling its range from the store, trains on in step with the replica it came from.
     */
    @Test
    void aJoinerTakesAStateAboveTheLimitFromTheStoreAndStaysBitIdentical() throws Exception {
        ModelSpec wide = new ModelSpec(1, 96, 2, 16, 0);
        long total = wide.parameters(CORPUS.vocabSize());
        assertThat(ShardCodec.encodedSize((int) total, false)).isGreaterThan(StateClaimCheck.INLINE_LIMIT_BYTES);
        LocalDirectoryStore store = new LocalDirectoryStore(dir);
        int steps = 6;
        Plan v1 = new Plan(job, 1, "sync-dp", "balanced", Plan.MEASURED, null, wide, DatasetSpec.bundled(), steps, 8,
                0.01, 7, 1, List.of("dc"), List.of(new PlanDevice("d0", "n1", "dc", "A100-80G", 0, 8, 1, 100.0, 0.0)),
                null, 1, "first", false);
        Plan v2 = v1.next(List.of("dc"), List.of(new PlanDevice("d0", "n1", "dc", "A100-80G", 0, 4, 1, 100.0, 0.0),
                new PlanDevice("d1", "n2", "dc", "H20", 1, 4, 1, 60.0, 0.0)), null, 4, "d1 joins", false);
        InProcessRelay relay = new InProcessRelay().plan(v1).plan(v2);
        // round 3 completes only once both nodes know version 2, so the switch comes after step 3
        relay.gated = m -> m.planVersion() == 1 && m.round() == 3;
        StateClaimCheck reader = new StateClaimCheck(store);
        JobRun.StateSource topic = relay.states(reader);
        JobRun first = new JobRun(v1, Set.of("d0"), CORPUS, relay, 60_000, id -> 1.0, topic, new ActivationHub(),
                new Checkpointing(store));
        JobRun joiner = new JobRun(v2, Set.of("d1"), CORPUS, relay, 60_000, id -> 1.0, topic, new ActivationHub(),
                new Checkpointing(store));
        relay.run("n1", first).run("n2", joiner);
        CountDownLatch done = new CountDownLatch(2);
        first.onFinished(done::countDown);
        joiner.onFinished(done::countDown);
        first.start();
        await().atMost(Duration.ofMinutes(1)).until(() -> relay.reported("d0", 2));
        assertThat(first.replan(v2)).isTrue();
        joiner.start();
        relay.gate.countDown();
        assertThat(done.await(2, TimeUnit.MINUTES)).isTrue();

        assertThat(relay.metrics).allMatch(m -> m.error() == null, "no device failed");
        // the state after step 3 went out as one pointer, no chunks
        assertThat(relay.modelState).extracting(ModelStateCodec.Record::key)
                .containsExactly(job + ":state-ref@0+" + total);
        StateClaimCheck.Ref ref = StateClaimCheck.Ref.decode(relay.modelState.get(0).value());
        assertThat(ref.round()).isEqualTo(3);
        assertThat(ref.count()).isEqualTo(total);
        assertThat(relay.metrics.stream().filter(m -> m.deviceId().equals("d1")).map(StepMetric::step).toList())
                .containsExactlyInAnyOrder(4, 5, 6);
        for (int step = 4; step <= steps; step++) {
            assertThat(relay.metric("d1", step, 2).weightsHash()).as("replicas after step %d", step).isNotNull()
                    .isEqualTo(relay.metric("d0", step, 2).weightsHash());
        }
    }
}
