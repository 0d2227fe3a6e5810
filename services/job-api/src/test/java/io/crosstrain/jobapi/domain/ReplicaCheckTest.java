package io.crosstrain.jobapi.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

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
}
