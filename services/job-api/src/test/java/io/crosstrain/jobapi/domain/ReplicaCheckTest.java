package io.crosstrain.jobapi.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.Plan;

class ReplicaCheckTest {

    private final List<String> devices = List.of("bj-0", "sh-0", "gy-0");

    @Test
    void twoHashesAreEnoughToCatchADivergence() {
        // the third device may never report (it died): what is in must still agree
        assertThat(ReplicaCheck.divergence(10, 1, devices, Map.of("bj-0", "aaa", "sh-0", "bbb")))
                .contains("replicas diverged at step 10 (plan v1): bj-0=aaa sh-0=bbb");
        assertThat(ReplicaCheck.compared(devices, Map.of("bj-0", "aaa", "sh-0", "bbb"))).isTrue();
    }

    @Test
    void oneHashOfSeveralComparesNothing() {
        assertThat(ReplicaCheck.divergence(10, 1, devices, Map.of("bj-0", "aaa"))).isEmpty();
        assertThat(ReplicaCheck.compared(devices, Map.of("bj-0", "aaa"))).isFalse();
        assertThat(ReplicaCheck.compared(List.of("only"), Map.of("only", "aaa"))).isTrue();
    }

    @Test
    void agreeingHashesAreFine() {
        assertThat(ReplicaCheck.divergence(10, 2, devices, Map.of("bj-0", "x", "sh-0", "x", "gy-0", "x")))
                .isEmpty();
    }

    @Test
    void hashesOfDevicesOutsideThePlanVersionAreNotComparedWithIt() {
        assertThat(ReplicaCheck.divergence(10, 2, devices, Map.of("bj-0", "x", "sh-0", "x", "gone", "y")))
                .isEmpty();
    }

    @Test
    void divergenceNamesEveryReportingDeviceInPlanOrderWithAHashPrefix() {
        String a = "0123456789abcdef0123";
        String b = "fedcba9876543210fedc";
        assertThat(ReplicaCheck.divergence(20, 3, devices, Map.of("bj-0", a, "sh-0", a, "gy-0", b)))
                .contains("replicas diverged at step 20 (plan v3): bj-0=0123456789ab sh-0=0123456789ab "
                        + "gy-0=fedcba987654");
    }

    @Test
    void anEmptyPlanIsNeverComplete() {
        assertThat(ReplicaCheck.complete(List.of(), Map.of("x", "y"))).isFalse();
    }

    // ---------------------------------------------------------------- pipeline stages

    private final Plan pipelined = Fixtures.twoPipelinesPlan(UUID.randomUUID());

    @Test
    void devicesAreGroupedByTheParameterRangeTheyHold() {
        Map<ReplicaCheck.Range, List<String>> groups = ReplicaCheck.groups(pipelined);
        assertThat(groups.keySet()).extracting(r -> r.label(2)).containsExactly("whole", "layers 0-0", "layers 1-1");
        assertThat(groups.values()).containsExactly(List.of("w1", "w2"), List.of("p0", "q0"), List.of("p1", "q1"));
    }

    @Test
    void aDivergenceWithinAStageGroupIsCaughtAndNamesTheGroup() {
        Map<String, String> hashes = Map.of("p0", "aaa", "q0", "bbb", "p1", "ccc", "q1", "ccc", "w1", "ddd");
        assertThat(ReplicaCheck.divergence(10, pipelined, hashes))
                .contains("replicas diverged at step 10 (plan v1), stage layers 0-0: p0=aaa q0=bbb");
        // two hashes of a group suffice, whatever the others reported
        assertThat(ReplicaCheck.divergence(10, pipelined, Map.of("p1", "x", "q1", "y")))
                .contains("replicas diverged at step 10 (plan v1), stage layers 1-1: p1=x q1=y");
        assertThat(ReplicaCheck.divergence(10, pipelined, Map.of("w1", "x", "w2", "y")))
                .contains("replicas diverged at step 10 (plan v1), whole replicas: w1=x w2=y");
    }

    @Test
    void differentHashesInDifferentGroupsAreNoDivergence() {
        Map<String, String> hashes = Map.of("p0", "a", "q0", "a", "p1", "b", "q1", "b", "w1", "c", "w2", "c");
        assertThat(ReplicaCheck.divergence(10, pipelined, hashes)).isEmpty();
        // one device per group reported: nothing to compare within a group
        assertThat(ReplicaCheck.divergence(10, pipelined, Map.of("p0", "a", "p1", "b", "w1", "c"))).isEmpty();
    }

    @Test
    void aPlanOfWholeReplicasKeepsItsReason() {
        Plan plain = Fixtures.plan(UUID.randomUUID(), Plan.EMULATED, 50.0);
        assertThat(ReplicaCheck.divergence(1, plain, Map.of("dev-a", "aaa", "dev-b", "bbb")))
                .contains("replicas diverged at step 1 (plan v1): dev-a=aaa dev-b=bbb");
    }
}
