package io.crosstrain.scheduler.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Placement;
import io.crosstrain.scheduler.domain.AdmissionPolicy.Admit;
import io.crosstrain.scheduler.domain.AdmissionPolicy.Outcome;
import io.crosstrain.scheduler.domain.AdmissionPolicy.QueuedJob;
import io.crosstrain.scheduler.domain.AdmissionPolicy.Reject;
import io.crosstrain.scheduler.domain.AdmissionPolicy.RunningJob;
import io.crosstrain.scheduler.domain.AdmissionPolicy.Wait;

class AdmissionPolicyTest {

    static final Instant T0 = Instant.parse("2026-11-28T06:00:00Z");
    static final Map<String, Double> TFLOPS = Map.of("A100-80G", 312.0, "H20", 148.0, "Ascend-910B", 320.0);

    final AdmissionPolicy policy = new AdmissionPolicy(Duration.ofSeconds(60), Map.of("team-a", 4), 0,
            d -> TFLOPS.getOrDefault(d.chip(), 0.0));

    /** 4 A100 (80 GB, rack r1) in bj, 4 H20 (96 GB) in sh, 4 910B (64 GB) in gy. */
    static List<InventoryDevice> cluster() {
        List<InventoryDevice> out = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            out.add(device("bj-" + i, "bj", "A100-80G", 80.0, Map.of("rack", "r1")));
            out.add(device("sh-" + i, "sh", "H20", 96.0, Map.of()));
            out.add(device("gy-" + i, "gy", "Ascend-910B", 64.0, Map.of()));
        }
        return out;
    }

    static InventoryDevice device(String id, String dc, String chip, Double memoryGb, Map<String, String> labels) {
        return new InventoryDevice(id, id + "-node", dc, chip, "HEALTHY", "emulated", 1e9, 2, memoryGb, labels);
    }

    static QueuedJob job(String tenant, int priority, int secondsAfterT0, List<String> devices, Placement placement) {
        JobSpec spec = new JobSpec("j", ModelSpec.demo(), DatasetSpec.bundled(), 10, 64, 0.01, 1, "sync-dp",
                "balanced", devices, null, null, 10, tenant, priority, placement);
        return new QueuedJob(UUID.randomUUID(), tenant, priority, T0.plusSeconds(secondsAfterT0), spec);
    }

    static Outcome outcomeOf(List<Outcome> outcomes, QueuedJob job) {
        return outcomes.stream().filter(o -> o.jobId().equals(job.jobId())).findFirst().orElseThrow();
    }

    static List<String> ids(Outcome o) {
        return ((Admit) o).devices().stream().map(InventoryDevice::id).sorted().toList();
    }

    @Test
    void aJobWithoutConstraintsTakesEveryFreeDevice() {
        QueuedJob j = job("default", 0, 0, List.of(), null);
        List<Outcome> out = policy.decide(List.of(j), cluster(), List.of(), T0);
        assertThat(ids(outcomeOf(out, j))).hasSize(12);
    }

    @Test
    void devicesHeldByARunningJobAreNotHandedOutAgain() {
        QueuedJob j = job("default", 0, 0, List.of(), null);
        RunningJob r = new RunningJob(UUID.randomUUID(), "default", Set.of("bj-0", "bj-1", "sh-0"));
        assertThat(ids(outcomeOf(policy.decide(List.of(j), cluster(), List.of(r), T0), j)))
                .hasSize(9).doesNotContain("bj-0", "bj-1", "sh-0");

        QueuedJob named = job("default", 0, 0, List.of("bj-0", "gy-0"), null);
        Outcome o = outcomeOf(policy.decide(List.of(named), cluster(), List.of(r), T0.plusSeconds(600)), named);
        assertThat(o).isInstanceOf(Wait.class);
        assertThat(((Wait) o).reason()).contains("busy").contains(r.jobId().toString());
    }

    @Test
    void placementFiltersByDatacenterChipLabelAndMemoryAndCapsAtMaxDevicesFastestFirst() {
        QueuedJob inSh = job("default", 0, 0, List.of(), new Placement(List.of("sh"), List.of(), Map.of(), null,
                null, null));
        QueuedJob rack = job("default", 0, 1, List.of(), new Placement(List.of(), List.of(), Map.of("rack", "r1"),
                null, null, null));
        List<Outcome> out = policy.decide(List.of(inSh, rack), cluster(), List.of(), T0);
        assertThat(ids(outcomeOf(out, inSh))).containsExactly("sh-0", "sh-1", "sh-2", "sh-3");
        assertThat(ids(outcomeOf(out, rack))).containsExactly("bj-0", "bj-1", "bj-2", "bj-3");

        QueuedJob bigMemory = job("default", 0, 0, List.of(), new Placement(List.of(), List.of(), Map.of(), 70.0,
                null, 3));
        // A100 (312) and H20 (148) have >= 70 GB; the 3 fastest of them are A100s
        assertThat(ids(outcomeOf(policy.decide(List.of(bigMemory), cluster(), List.of(), T0), bigMemory)))
                .containsExactly("bj-0", "bj-1", "bj-2");
    }

    @Test
    void anImpossiblePlacementWaitsThenIsRejectedNamingWhatExcludedTheDevices() {
        QueuedJob j = job("default", 0, 0, List.of(), new Placement(List.of("bj"), List.of("H20"), Map.of(), null,
                null, null));
        assertThat(outcomeOf(policy.decide(List.of(j), cluster(), List.of(), T0.plusSeconds(5)), j))
                .isInstanceOf(Wait.class);
        Outcome late = outcomeOf(policy.decide(List.of(j), cluster(), List.of(), T0.plusSeconds(61)), j);
        assertThat(late).isInstanceOf(Reject.class);
        assertThat(((Reject) late).reason()).contains("none of the 12 registered devices meets the placement")
                .contains("8 excluded by datacenters").contains("4 excluded by chips");
    }

    @Test
    void gangAdmissionWaitsUntilMinDevicesAreFreeAndReservesThemAgainstLaterJobs() {
        RunningJob r = new RunningJob(UUID.randomUUID(), "default", Set.of("bj-0", "bj-1", "bj-2", "sh-0", "sh-1",
                "sh-2", "gy-0", "gy-1", "gy-2"));
        QueuedJob big = job("default", 5, 0, List.of(), new Placement(List.of(), List.of(), Map.of(), null, 6,
                null));
        QueuedJob small = job("default", 0, 1, List.of(), null);
        List<Outcome> out = policy.decide(List.of(small, big), cluster(), List.of(r), T0);
        assertThat(outcomeOf(out, big)).isInstanceOf(Wait.class);
        assertThat(((Wait) outcomeOf(out, big)).reason()).contains("needs 6 devices, 3 free");
        // the three free devices are reserved for the high-priority job: the small one may not take them
        assertThat(outcomeOf(out, small)).isInstanceOf(Wait.class);

        List<Outcome> later = policy.decide(List.of(small, big), cluster(), List.of(), T0.plusSeconds(600));
        assertThat(ids(outcomeOf(later, big))).hasSize(12);
        assertThat(outcomeOf(later, small)).isInstanceOf(Wait.class);
    }

    @Test
    void higherPriorityGoesFirstThenOlderJobs() {
        QueuedJob old = job("default", 0, 0, List.of(), new Placement(List.of("bj"), List.of(), Map.of(), null, null,
                null));
        QueuedJob urgent = job("default", 9, 30, List.of(), new Placement(List.of("bj"), List.of(), Map.of(), null,
                null, 2));
        QueuedJob newer = job("default", 0, 10, List.of(), new Placement(List.of("bj"), List.of(), Map.of(), null,
                null, null));
        List<Outcome> out = policy.decide(List.of(newer, old, urgent), cluster(), List.of(), T0.plusSeconds(31));
        assertThat(ids(outcomeOf(out, urgent))).containsExactly("bj-0", "bj-1");
        assertThat(ids(outcomeOf(out, old))).containsExactly("bj-2", "bj-3");
        assertThat(outcomeOf(out, newer)).isInstanceOf(Wait.class);
    }

    @Test
    void aTenantNeverHoldsMoreThanItsQuotaAndAQuotaWaitReservesNothing() {
        RunningJob mine = new RunningJob(UUID.randomUUID(), "team-a", Set.of("bj-0", "bj-1", "bj-2"));
        QueuedJob more = job("team-a", 5, 0, List.of(), null);
        QueuedJob other = job("team-b", 0, 1, List.of(), null);
        List<Outcome> out = policy.decide(List.of(more, other), cluster(), List.of(mine), T0);
        // team-a may hold 4: one more device, the fastest free one
        assertThat(ids(outcomeOf(out, more))).containsExactly("gy-0");
        assertThat(ids(outcomeOf(out, other))).hasSize(8);

        QueuedJob gang = job("team-a", 0, 0, List.of(), new Placement(List.of(), List.of(), Map.of(), null, 2,
                null));
        Outcome waiting = outcomeOf(policy.decide(List.of(gang), cluster(), List.of(mine), T0), gang);
        assertThat(((Wait) waiting).reason()).contains("tenant team-a may hold 4 devices and has 1 left");
    }

    @Test
    void namedDevicesThatAreUnknownOrUnhealthyWaitThenFailWithTheirReasons() {
        List<InventoryDevice> inv = new ArrayList<>(cluster());
        inv.set(0, new InventoryDevice("bj-0", "n", "bj", "A100-80G", "DOWN", "emulated", 1e9, 2, 80.0, Map.of()));
        QueuedJob j = job("default", 0, 0, List.of("bj-0", "ghost-1", "sh-0"), null);
        assertThat(outcomeOf(policy.decide(List.of(j), inv, List.of(), T0), j)).isInstanceOf(Wait.class);
        Outcome late = outcomeOf(policy.decide(List.of(j), inv, List.of(), T0.plusSeconds(60)), j);
        assertThat(((Reject) late).reason()).contains("device ghost-1 is not registered")
                .contains("device bj-0 is DOWN, not HEALTHY").doesNotContain("sh-0");
    }

    @Test
    void aJobWaitsForCalibratingDevicesUntilTheWaitIsOver() {
        List<InventoryDevice> inv = new ArrayList<>(cluster());
        inv.set(0, new InventoryDevice("bj-0", "n", "bj", "A100-80G", "HEALTHY", "emulated", 0.0, 2, 80.0, Map.of()));
        QueuedJob j = job("default", 0, 0, List.of(), null);
        assertThat(outcomeOf(policy.decide(List.of(j), inv, List.of(), T0.plusSeconds(10)), j))
                .isInstanceOf(Wait.class);
        assertThat(ids(outcomeOf(policy.decide(List.of(j), inv, List.of(), T0.plusSeconds(60)), j))).hasSize(11);
    }
}
