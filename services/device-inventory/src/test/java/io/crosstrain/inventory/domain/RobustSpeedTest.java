package io.crosstrain.inventory.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RobustSpeedTest {

    @Test
    void aSingleSampleIsItsOwnEstimate() {
        assertThat(RobustSpeed.estimate(new double[] {42.5})).isEqualTo(42.5);
    }

    @Test
    void withoutOutliersItIsTheMedian() {
        assertThat(RobustSpeed.estimate(new double[] {3, 1, 2})).isEqualTo(2.0);
        assertThat(RobustSpeed.estimate(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
    }

    @Test
    void aWildSampleIsDroppedBeforeTakingTheMedian() {
        // plain median of all six would be 100.5; without 5000 the median of the rest is 100
        assertThat(RobustSpeed.estimate(new double[] {99, 100, 100, 101, 102, 5000})).isEqualTo(100.0);
        // a stalled step (near zero) is dropped the same way
        assertThat(RobustSpeed.estimate(new double[] {0.5, 99, 100, 100, 101, 102})).isEqualTo(100.0);
    }

    @Test
    void theCutoffIsThreeScaledMads() {
        // median 10.5, MAD 0.5, so the limit is 3 × 1.4826 × 0.5 = 2.2239 around the median
        assertThat(RobustSpeed.estimate(new double[] {9, 10, 10, 11, 11, 10.5 + 2.22})).isEqualTo(10.5);
        // just beyond it the sample is dropped and the median of the other five is taken
        assertThat(RobustSpeed.estimate(new double[] {9, 10, 10, 11, 11, 10.5 + 2.23})).isEqualTo(10.0);
    }

    @Test
    void whenMostSamplesAreEqualOnlyThoseCount() {
        // MAD = 0: everything that differs from the median is dropped, however close
        assertThat(RobustSpeed.estimate(new double[] {7, 7, 7, 7.001, 1000})).isEqualTo(7.0);
        assertThat(RobustSpeed.estimate(new double[] {5, 5, 5, 6})).isEqualTo(5.0);
    }

    @Test
    void refusesNothingAndNonFiniteSamples() {
        assertThatThrownBy(() -> RobustSpeed.estimate(new double[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RobustSpeed.estimate(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RobustSpeed.estimate(new double[] {1, Double.NaN}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void microBatchIsTheCeilingOfBatchOverMicroBatches() {
        assertThat(SpeedSample.microBatch(32, 2)).isEqualTo(16);
        assertThat(SpeedSample.microBatch(33, 2)).isEqualTo(17);
        assertThat(SpeedSample.microBatch(32, 0)).as("0 micro-batches means one").isEqualTo(32);
        assertThat(SpeedSample.microBatch(3, 8)).isEqualTo(1);
        assertThat(SpeedSample.microBatch(Integer.MAX_VALUE, 1)).isEqualTo(Integer.MAX_VALUE);
    }
}
