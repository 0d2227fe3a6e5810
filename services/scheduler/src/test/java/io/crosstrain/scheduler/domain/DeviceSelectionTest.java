package io.crosstrain.scheduler.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class DeviceSelectionTest {

    static InventoryDevice device(String id, String status, String mode, double cpuFlops) {
        return new InventoryDevice(id, "node-" + id, "dc", "H20", status, mode, cpuFlops, 4);
    }

    final InventoryDevice ready = device("a", "HEALTHY", "emulated", 2e9);
    final InventoryDevice stale = device("b", "STALE", "emulated", 2e9);
    final InventoryDevice calibrating = device("c", "HEALTHY", "emulated", 0);
    final InventoryDevice realGpu = device("d", "HEALTHY", "measured-on-device", 0);
    final List<InventoryDevice> inventory = List.of(ready, stale, calibrating, realGpu);

    @Test
    void namedDevicesMustAllBeReadyAndEachProblemIsNamed() {
        DeviceSelection s = DeviceSelection.of(List.of("a", "b", "c", "ghost"), inventory);

        assertThat(s.usable()).containsExactly(ready);
        assertThat(s.problems()).containsExactly(
                "device b is STALE, not HEALTHY",
                "device c has no CPU calibration yet (cpuFlopsPerSec = 0)",
                "device ghost is not registered");
        assertThat(s.complete()).isFalse();
        assertThat(s.acceptableAtDeadline()).isFalse();
    }

    @Test
    void namedDevicesKeepTheRequestedOrderAndDuplicatesCountOnce() {
        DeviceSelection s = DeviceSelection.of(List.of("d", "a", "d"), inventory);

        assertThat(s.usable()).containsExactly(realGpu, ready);
        assertThat(s.complete()).isTrue();
    }

    @Test
    void aDeviceOnARealAcceleratorNeedsNoCpuCalibration() {
        assertThat(realGpu.ready()).isTrue();
        assertThat(calibrating.ready()).isFalse();
    }

    @Test
    void withoutANamedListEveryReadyDeviceIsTakenButCalibrationIsWaitedFor() {
        DeviceSelection s = DeviceSelection.of(List.of(), inventory);

        assertThat(s.usable()).containsExactly(ready, realGpu);
        assertThat(s.complete()).isFalse();
        assertThat(s.problems()).containsExactly("device c has no CPU calibration yet (cpuFlopsPerSec = 0)");
        assertThat(s.acceptableAtDeadline()).isTrue();
    }

    @Test
    void withoutANamedListNothingHealthyIsNeverAcceptable() {
        DeviceSelection none = DeviceSelection.of(null, List.of());
        DeviceSelection unhealthy = DeviceSelection.of(List.of(), List.of(stale));

        assertThat(none.problems()).containsExactly("no device is registered");
        assertThat(unhealthy.problems()).containsExactly("none of the 1 registered devices is HEALTHY");
        assertThat(none.acceptableAtDeadline()).isFalse();
        assertThat(unhealthy.acceptableAtDeadline()).isFalse();
    }

    @Test
    void statusIsComparedIgnoringCase() {
        assertThat(device("x", "healthy", "emulated", 1e9).ready()).isTrue();
    }
}
