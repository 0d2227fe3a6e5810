package io.crosstrain.relay.domain;

import static io.crosstrain.relay.domain.Fixtures.chunks;
import static io.crosstrain.relay.domain.Fixtures.device;
import static io.crosstrain.relay.domain.Fixtures.diloco;
import static io.crosstrain.relay.domain.Fixtures.offer;
import static io.crosstrain.relay.domain.Fixtures.plan;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.ResumePoint;
import io.crosstrain.contracts.RoundLedgerEntry;
import io.crosstrain.contracts.Rounds;
import io.crosstrain.contracts.WanLink;
import io.crosstrain.relay.domain.Fixtures.Rec;
import io.crosstrain.relay.domain.Fixtures.Recorder;
import io.crosstrain.relay.domain.RoundAggregator.Rejection;
import io.crosstrain.relay.domain.RoundAggregator.Settings;
import io.crosstrain.relay.domain.RoundAggregator.Stage;

/**
 * A version resuming the job from a checkpoint redoes rounds an older version committed: they are summed and
 * committed afresh under it, once, and the older version's contributions to them stay out.
 */
class ResumedRoundsTest {

    final UUID job = UUID.randomUUID();
    // datacenter a alone: its intra-DC stage sends the average down and writes the ledger line
    final Plan v1 = plan(job, 1, List.of("a"), List.of(
            device("a-0", "a", 0, 2), device("a-1", "a", 1, 3), device("a-2", "a", 2, 5)));
    /** Resumes from the checkpoint after step 4: rounds 5 and on are redone. */
    final Plan resumeV2 = v1.next(v1.datacenters(), v1.devices(), null, 0, "resume from checkpoint step 4", true)
            .withResume(new ResumePoint(4, "jobs/x/step-4/manifest.json"));
    final Recorder sink = new Recorder();

    RoundAggregator<String> stage() {
        return new RoundAggregator<>(Stage.INTRA_DC, "a", new Settings(1000, 1 << 24), sink);
    }

    /** Every node's contribution to {@code round} under {@code version}: node i sends {@code base * (i + 1)}. */
    static List<Rec> round(UUID job, long round, int version, float base) {
        List<Rec> out = new java.util.ArrayList<>();
        String[] nodes = {"a-0", "a-1", "a-2"};
        int[] samples = {2, 3, 5};
        for (int i = 0; i < nodes.length; i++) {
            out.addAll(Rec.of(chunks(job, round, version, nodes[i], samples[i], new float[] {base * (i + 1)})));
        }
        return out;
    }

    static float value(RoundAggregator.Output o) {
        return TensorCodec.decode(o.record()).values()[0];
    }

    @Test
    void aResumeVersionSumsACommittedRoundAgainAndCommitsItOnceUnderItsVersion() {
        RoundAggregator<String> intra = stage();
        intra.onPlan(v1);
        List<Rec> v1Round5 = round(job, 5, 1, 1f);
        v1Round5.forEach(r -> offer(intra, r));
        round(job, 6, 1, 1f).forEach(r -> offer(intra, r));
        assertThat(sink.outputs).hasSize(2);

        intra.onPlan(resumeV2);
        assertThat(resumeV2.startStep()).isEqualTo(5);
        offer(intra, v1Round5.get(0)); // a straggler of the old version
        Rec.of(chunks(job, 7, 1, "a-0", 2, new float[] {1f})).forEach(r -> offer(intra, r));
        assertThat(sink.outputs).hasSize(2);
        assertThat(sink.duplicates).containsExactly(v1Round5.get(0).key());
        assertThat(sink.dead).extracting(Fixtures.Dead::reason).containsExactly(Rejection.STALE_PLAN);

        List<Rec> v2Round5 = round(job, 5, 2, 10f);
        v2Round5.forEach(r -> offer(intra, r));
        assertThat(sink.outputs).hasSize(3);
        // the nodes' sums (already weighted by their samples) over the round's 10 samples
        assertThat(value(sink.outputs.get(2))).isEqualTo((10f + 20f + 30f) / 10f);
        v2Round5.forEach(r -> offer(intra, r)); // redelivered: counted once
        assertThat(sink.outputs).hasSize(3);

        // the log is the audit: round 5's first commit stays, the second names the resuming version
        assertThat(sink.ledger).filteredOn(e -> e.round() == 5)
                .extracting(RoundLedgerEntry::planVersion, RoundLedgerEntry::status)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, RoundLedgerEntry.COMMITTED),
                        org.assertj.core.groups.Tuple.tuple(2, RoundLedgerEntry.COMMITTED));
    }

    @Test
    void aRelayRestartedFromTheLedgerStillTakesTheRoundsTheResumeReopened() {
        RoundAggregator<String> restarted = stage();
        // what RelayStages replays: the ledger's lines, each with the version that wrote it
        restarted.markCommitted(job, 1, 5);
        restarted.markCommitted(job, 1, 6);
        restarted.onPlan(v1);
        restarted.onPlan(resumeV2);

        round(job, 5, 1, 1f).forEach(r -> offer(restarted, r));
        assertThat(sink.outputs).isEmpty();
        round(job, 5, 2, 10f).forEach(r -> offer(restarted, r));
        assertThat(sink.outputs).singleElement().satisfies(o -> assertThat(value(o)).isEqualTo(6f));
        assertThat(sink.ledger).singleElement().satisfies(e -> assertThat(e.planVersion()).isEqualTo(2));

        // restarted again after that commit: the version-2 line closes it for good
        Recorder again = new Recorder();
        RoundAggregator<String> second = new RoundAggregator<>(Stage.INTRA_DC, "a", new Settings(1000, 1 << 24),
                again);
        for (RoundLedgerEntry e : List.of(new RoundLedgerEntry(job, 5, 1, "a", RoundLedgerEntry.COMMITTED, "sync", 10,
                List.of(), List.of(), 1, 0, 0), sink.ledger.get(0))) {
            second.markCommitted(e.jobId(), e.planVersion(), e.round());
        }
        second.onPlan(v1);
        second.onPlan(resumeV2);
        round(job, 5, 2, 10f).forEach(r -> offer(second, r));
        assertThat(again.outputs).isEmpty();
        assertThat(again.duplicates).hasSize(3);
    }

    @Test
    void aNormalReplanDoesNotReopenARoundCommittedBeforeItsStartStep() {
        RoundAggregator<String> intra = stage();
        intra.onPlan(v1);
        List<Rec> v1Round5 = round(job, 5, 1, 1f);
        v1Round5.forEach(r -> offer(intra, r));
        // a recovery after round 5 committed: version 2 starts at the first uncommitted round
        intra.onPlan(v1.next(v1.datacenters(), v1.devices(), null, 6, "lost a-3", true));

        offer(intra, v1Round5.get(1));
        round(job, 5, 2, 10f).forEach(r -> offer(intra, r));
        assertThat(sink.outputs).hasSize(1);
        assertThat(sink.duplicates).containsExactly(v1Round5.get(1).key());
        assertThat(sink.dead).hasSize(3).allSatisfy(d -> assertThat(d.reason()).isEqualTo(Rejection.STALE_PLAN));
        assertThat(sink.ledger).singleElement().satisfies(e -> assertThat(e.planVersion()).isEqualTo(1));
    }

    @Test
    void aResumeDropsTheErrorFeedbackOfTheRoundsItTakesBackAndANormalReplanKeepsIt() {
        List<WanLink> links = List.of(new WanLink("a", "b", 1.0, 40.0));
        Plan dl = diloco(job, 1, List.of("a", "b"), List.of(device("a-0", "a", 0, 2), device("b-0", "b", 1, 3)), 5,
                "int8", links);
        QuantizingWanEncoder encoder = new QuantizingWanEncoder();
        RoundAggregator<String> intra = new RoundAggregator<>(Stage.INTRA_DC, "a", new Settings(1000, 1 << 24),
                sink).wanEncoder(encoder);
        intra.onPlan(dl);
        float[] delta = new float[300];
        for (int i = 0; i < delta.length; i++) {
            delta[i] = (float) Math.sin(i) * 3;
        }
        Rec.of(chunks(job, Rounds.outer(5), 1, "a-0", 2, delta)).forEach(r -> offer(intra, r));
        assertThat(encoder.residuals(job)).isOne();

        Plan rebalanced = dl.next(dl.datacenters(), dl.devices(), null, 8, "rebalance", false);
        intra.onPlan(rebalanced);
        assertThat(encoder.residuals(job)).as("a normal re-plan takes nothing back").isOne();
        intra.onPlan(rebalanced.next(dl.datacenters(), dl.devices(), null, 0, "resume", true)
                .withResume(ResumePoint.fromStart()));
        assertThat(encoder.residuals(job)).isZero();
    }
}
