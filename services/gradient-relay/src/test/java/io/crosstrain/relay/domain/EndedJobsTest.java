package io.crosstrain.relay.domain;

import static io.crosstrain.relay.domain.Fixtures.chunks;
import static io.crosstrain.relay.domain.Fixtures.device;
import static io.crosstrain.relay.domain.Fixtures.offer;
import static io.crosstrain.relay.domain.Fixtures.plan;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.Plan;
import io.crosstrain.relay.domain.Fixtures.Rec;
import io.crosstrain.relay.domain.Fixtures.Recorder;
import io.crosstrain.relay.domain.RoundAggregator.Settings;
import io.crosstrain.relay.domain.RoundAggregator.Stage;

/** A job that ended, however far its rounds got, leaves nothing behind in a stage. */
class EndedJobsTest {

    final UUID failed = UUID.randomUUID();
    final UUID running = UUID.randomUUID();
    final Recorder sink = new Recorder();
    final RoundAggregator<String> intra = new RoundAggregator<>(Stage.INTRA_DC, "a", new Settings(1000, 1 << 24),
            sink);

    static Plan planOf(UUID job, int version) {
        return plan(job, version, List.of("a"), List.of(device("a-0", "a", 0, 2), device("a-1", "a", 1, 3)));
    }

    private List<String> held() {
        List<String> origins = new ArrayList<>();
        intra.forEachHeld(origins::add);
        return origins;
    }

    @Test
    void aJobThatFailedMidRoundReleasesItsOpenChunksAndWaitingRecordsAndIgnoresWhatComesLater() {
        intra.onPlan(planOf(failed, 1));
        intra.onPlan(planOf(running, 1));
        // half a round open for both jobs, and a contribution of a newer plan of the failed job waiting
        Rec.of(chunks(failed, 4, 1, "a-0", 2, new float[] {1f})).forEach(r -> offer(intra, r));
        Rec.of(chunks(running, 4, 1, "a-0", 2, new float[] {1f})).forEach(r -> offer(intra, r));
        Rec.of(chunks(failed, 5, 2, "a-1", 3, new float[] {2f})).forEach(r -> offer(intra, r));
        assertThat(intra.openChunks()).isEqualTo(2);
        assertThat(intra.bufferedRecords()).isOne();
        assertThat(held()).hasSize(3);

        assertThat(intra.forget(failed)).isEqualTo(2);

        assertThat(intra.openChunks()).isOne();
        assertThat(intra.bufferedRecords()).isZero();
        assertThat(intra.bufferedBytes()).isZero();
        assertThat(held()).singleElement().asString().contains(running.toString());
        assertThat(intra.jobs()).isOne();
        assertThat(intra.planVersion(failed)).isEqualTo(-1);

        // late records and a plan read again (the plans topic is replayed on a restart) change nothing
        Rec.of(chunks(failed, 4, 1, "a-1", 3, new float[] {1f})).forEach(r -> offer(intra, r));
        Rec.of(chunks(failed, 6, 2, "a-0", 2, new float[] {1f})).forEach(r -> offer(intra, r));
        intra.onPlan(planOf(failed, 2));
        assertThat(intra.openChunks()).isOne();
        assertThat(intra.bufferedRecords()).isZero();
        assertThat(intra.jobs()).isOne();
        assertThat(sink.outputs).isEmpty();
        assertThat(sink.dead).isEmpty();

        // the other job's round completes as if nothing happened
        Rec.of(chunks(running, 4, 1, "a-1", 3, new float[] {2f})).forEach(r -> offer(intra, r));
        assertThat(sink.outputs).singleElement().satisfies(o -> assertThat(o.jobId()).isEqualTo(running));
        assertThat(intra.openChunks()).isZero();
        assertThat(held()).isEmpty();
    }

    @Test
    void forgettingAJobTwiceOrOneNeverSeenIsHarmless() {
        assertThat(intra.forget(UUID.randomUUID())).isZero();
        intra.onPlan(planOf(running, 1));
        assertThat(intra.forget(running)).isZero();
        assertThat(intra.forget(running)).isZero();
        assertThat(intra.jobs()).isZero();
    }
}
