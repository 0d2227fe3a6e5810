package io.crosstrain.worker.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.ResumePoint;

/** Which version a run switches to, and when: as the relays give rounds to versions; a resume goes first. */
class PlanSwitchTest {

    private static final Plan V1 = new Plan(UUID.randomUUID(), 1, "sync-dp", "balanced", Plan.MEASURED, null,
            new ModelSpec(1, 16, 2, 16, 0), DatasetSpec.bundled(), 20, 8, 0.01, 7, 1, List.of("dc"),
            List.of(new PlanDevice("d0", "n1", "dc", "A100-80G", 0, 8, 1, 100.0, 0.0)), null, 1, "first", false);

    private static Plan next(Plan p, int startStep) {
        return p.next(p.datacenters(), p.devices(), null, startStep, "v" + (p.planVersion() + 1), false);
    }

    @Test
    void theNewestVersionTakesOverUnlessAResumeCameBeforeIt() {
        PlanSwitch s = new PlanSwitch(V1);
        assertThat(s.next(1)).isNull();
        Plan v2 = next(V1, 9).withResume(new ResumePoint(4, "jobs/x/step-0000000004/manifest.json"));
        Plan v3 = next(v2, 12);
        assertThat(s.offer(v2)).isTrue();
        assertThat(s.offer(v3)).isTrue();
        assertThat(s.offer(v2)).as("not newer").isFalse();
        assertThat(s.latest()).isSameAs(v3);
        // the run leaves v1 for the resume first, then v3 takes over from its own start step
        assertThat(s.next(1)).isSameAs(v2);
        assertThat(s.take(1)).isSameAs(v2);
        assertThat(s.next(2)).isSameAs(v3);
        assertThat(s.take(2)).isSameAs(v3);
        assertThat(s.next(3)).isNull();

        PlanSwitch plain = new PlanSwitch(V1);
        Plan w2 = next(V1, 5);
        Plan w3 = next(w2, 7);
        plain.offer(w2);
        plain.offer(w3);
        assertThat(plain.take(1)).as("without a resume: the earliest start first").isSameAs(w2);
        assertThat(plain.take(2)).as("then the next from its own start").isSameAs(w3);
        assertThat(plain.next(3)).isNull();
    }

    @Test
    void versionsReceivedTogetherTakeOverInTheOrderTheRelaysGiveRoundsToThem() {
        // a round belongs to the newest version starting at or before it: 71 and 72 are v2's, 73 on v3's
        PlanSwitch s = new PlanSwitch(V1);
        Plan v2 = next(V1, 71);
        Plan v3 = next(v2, 73);
        s.offer(v2);
        s.offer(v3);
        assertThat(s.take(1)).isSameAs(v2);
        assertThat(s.take(2)).isSameAs(v3);

        // a newer version starting earlier owns every round an older one would have had: the older never runs
        PlanSwitch t = new PlanSwitch(V1);
        Plan u2 = next(V1, 33);
        Plan u3 = next(u2, 30);
        Plan u4 = next(u3, 34);
        t.offer(u2);
        t.offer(u3);
        t.offer(u4);
        assertThat(t.next(1)).isSameAs(u3);
        assertThat(t.take(1)).isSameAs(u3);
        assertThat(t.take(3)).as("u2 dropped").isSameAs(u4);
        assertThat(t.next(4)).isNull();

        // the same start step twice: the newer
        PlanSwitch same = new PlanSwitch(V1);
        Plan x2 = next(V1, 40);
        Plan x3 = next(x2, 40);
        same.offer(x2);
        same.offer(x3);
        assertThat(same.take(1)).isSameAs(x3);
        assertThat(same.next(3)).isNull();
    }

    @Test
    void aNodeLeftOutFindsTheEarliestLaterVersionThatNamesItAgain() {
        PlanSwitch s = new PlanSwitch(V1);
        Plan out = V1.next(V1.datacenters(), List.of(new PlanDevice("d9", "n9", "dc", "A100-80G", 0, 8, 1, 100.0,
                0.0)), null, 71, "d0 lost", false);
        Plan backEarlier = out.next(V1.datacenters(), V1.devices(), null, 73, "d0 back", false);
        Plan back = next(backEarlier, 75);
        s.offer(out);
        s.offer(backEarlier);
        s.offer(back);
        assertThat(s.take(1)).isSameAs(out);
        assertThat(s.takeNaming(2, java.util.Set.of("d7"))).isEmpty();
        assertThat(s.takeNaming(2, java.util.Set.of("d0"))).containsSame(backEarlier);
        assertThat(s.next(3)).isSameAs(back);
    }

    @Test
    void aRunNotStartedYetBeginsWithAPendingResume() {
        PlanSwitch s = new PlanSwitch(V1);
        assertThat(s.first()).isSameAs(V1);
        Plan v2 = next(V1, 1).withResume(ResumePoint.fromStart());
        Plan v3 = next(v2, 6);
        s.offer(v2);
        s.offer(v3);
        assertThat(s.first()).isSameAs(v2);
        assertThat(s.next(2)).isSameAs(v3);
    }
}
