package io.crosstrain.planner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class EmulationScaleTest {

    @Test
    void manyDevicesOnFewCoresUseExactlyTheHostBudget() {
        // 12 devices, speeds as the §10 chips, all costing 2 ms of CPU per sample, on 2 cores
        int[] batch = {9, 9, 9, 9, 4, 4, 4, 4, 9, 9, 9, 9};
        double[] speeds = new double[12];
        double[] cpu = new double[12];
        for (int i = 0; i < 12; i++) {
            speeds[i] = i < 4 ? 312 : i < 8 ? 148 : 320;
            cpu[i] = 0.002;
        }

        double k = EmulationScale.timeScale(batch, speeds, cpu, 2, 0.5);

        double emulatedStep = 0;
        double cpuWork = 0;
        for (int i = 0; i < 12; i++) {
            emulatedStep = Math.max(emulatedStep, EmulationScale.pacedSeconds(batch[i], speeds[i], k));
            cpuWork += batch[i] * cpu[i];
        }
        assertThat(cpuWork).isCloseTo(0.5 * 2 * emulatedStep, within(1e-12 * cpuWork));
        // and no single device is squeezed: its CPU time is within half its own paced time
        for (int i = 0; i < 12; i++) {
            assertThat(batch[i] * cpu[i]).isLessThanOrEqualTo(0.5 * EmulationScale.pacedSeconds(batch[i], speeds[i], k));
        }
    }

    @Test
    void aFastDeviceOnABigHostIsBoundedByItsOwnCpuTime() {
        // one device of 1000 samples/s at 1 ms CPU per sample on 64 cores: the host budget alone would allow
        // k = 32, pacing 10 samples to 0.3 ms while they need 10 ms of CPU
        int[] batch = {10};
        double[] speeds = {1000};
        double[] cpu = {0.001};

        double k = EmulationScale.timeScale(batch, speeds, cpu, 64, 0.5);

        assertThat(k).isCloseTo(0.5, within(1e-12));
        assertThat(batch[0] * cpu[0]).isCloseTo(0.5 * EmulationScale.pacedSeconds(10, 1000, k), within(1e-12));
    }

    @Test
    void pacedSecondsIsBatchOverScaledSpeed() {
        assertThat(EmulationScale.pacedSeconds(8, 4.0, 0.5)).isEqualTo(4.0);
        assertThat(EmulationScale.pacedSeconds(0, 4.0, 0.5)).isZero();
    }

    @Test
    void rejectsInputsItCannotCalibrateAgainst() {
        assertThatThrownBy(() -> EmulationScale.timeScale(new int[] {3}, new double[] {1}, new double[] {0}, 2, 0.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be calibrated");
        assertThatThrownBy(() -> EmulationScale.timeScale(new int[] {3}, new double[] {1}, new double[] {1}, 0, 0.5))
                .hasMessageContaining("hostCores");
        assertThatThrownBy(() -> EmulationScale.timeScale(new int[] {3}, new double[] {1, 2}, new double[] {1}, 1, 0.5))
                .hasMessageContaining("differ in length");
    }

    @Test
    void aMinimumStepLowersTheTimeScaleOnlyWhenTheStepWouldBeShorter() {
        int[] batch = {27, 12};
        double[] speeds = {3120, 1480};
        double slowest = Math.max(27 / 3120.0, 12 / 1480.0);
        double k = 1.0; // step would be slowest / k = 8.65 ms
        double lowered = EmulationScale.atMostFor(k, batch, speeds, 2.4);
        assertThat(slowest / lowered).isCloseTo(2.4, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(EmulationScale.atMostFor(1e-3, batch, speeds, 2.4)).as("8.65 s: already slow enough")
                .isEqualTo(1e-3);
        assertThat(EmulationScale.atMostFor(k, batch, speeds, 0)).as("no floor").isEqualTo(k);
    }
}
