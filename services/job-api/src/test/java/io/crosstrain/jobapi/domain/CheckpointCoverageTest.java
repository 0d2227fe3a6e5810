package io.crosstrain.jobapi.domain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.crosstrain.jobapi.persistence.CheckpointRepository.ShardRow;

/** When the announced shards of a step make a checkpoint: only once they leave no element of the vector out. */
class CheckpointCoverageTest {

    private static ShardRow range(long offset, long count) {
        return new ShardRow("k" + offset, offset, count, 0, "", 0, 0);
    }

    @Test
    void theShardsMustCoverEveryElementFromZeroToTheEnd() {
        assertThat(CheckpointService.covers(List.of(range(0, 10)), 10)).isTrue();
        assertThat(CheckpointService.covers(List.of(range(0, 4), range(4, 6)), 10)).isTrue();
        // overlapping ranges (stages of different layouts, replicas) are fine
        assertThat(CheckpointService.covers(List.of(range(0, 6), range(3, 4), range(5, 5)), 10)).isTrue();

        assertThat(CheckpointService.covers(List.of(), 10)).isFalse();
        assertThat(CheckpointService.covers(List.of(range(0, 4)), 10)).isFalse();      // the end is missing
        assertThat(CheckpointService.covers(List.of(range(1, 9)), 10)).isFalse();      // element 0 is missing
        assertThat(CheckpointService.covers(List.of(range(0, 4), range(5, 5)), 10)).isFalse(); // a hole at 4
    }
}
