package io.crosstrain.relay.domain;

import static io.crosstrain.relay.domain.Fixtures.plan;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.GradientHeaders;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.PlanStage;
import io.crosstrain.relay.domain.Fixtures.Recorder;
import io.crosstrain.relay.domain.RoundAggregator.Output;
import io.crosstrain.relay.domain.RoundAggregator.Rejection;
import io.crosstrain.relay.domain.RoundAggregator.Settings;
import io.crosstrain.relay.domain.RoundAggregator.Stage;

/**
 * Pipeline stages in the relay: a node sends only the chunks its stages' parameter ranges meet, and each chunk is
 * summed over exactly the nodes that send it.
 */
class PipelineRoundsTest {

    /** 300,000 parameters: three FP32 chunks; stage 0 holds the first 150,000, stage 1 the rest. */
    static final int TOTAL = 300_000;
    static final int SPLIT = 150_000;
    final UUID job = UUID.randomUUID();
    final Recorder sink = new Recorder();
    final RoundAggregator<String> relay = new RoundAggregator<>(Stage.INTRA_DC, "a", new Settings(100, 1L << 28),
            sink);

    static PlanDevice stage(String id, String node, int rank, String replica, int index, int batch) {
        long offset = index == 0 ? 0 : SPLIT;
        long count = index == 0 ? SPLIT : TOTAL - SPLIT;
        return new PlanDevice(id, node, "a", "A100-80G", rank, batch, 4, 100.0, 0.1, null, replica,
                new PlanStage(index, 2, index == 0 ? 0 : 1, index == 0 ? 0 : 1, offset, count, null, null, 2,
                        1e-3, 1e-3, 0, 1, 2));
    }

    /** Two replicas of two stages: node x runs both first stages, node y both second stages. */
    Plan pipelined() {
        return plan(job, 1, List.of("a"), List.of(stage("x0", "x", 0, "a-r0", 0, 6), stage("y0", "y", 1, "a-r0", 1, 6),
                stage("x1", "x", 2, "a-r1", 0, 2), stage("y1", "y", 3, "a-r1", 1, 2)));
    }

    /** The node's contribution: its values on the chunks its ranges meet, with the samples it counts for each. */
    static List<byte[]> contribution(UUID job, String node, float[] values, int[] samplesPerChunk, int... chunks) {
        List<byte[]> all = TensorCodec.encode(new ChunkMeta(job, 1, 1, node, 0, Codec.FP32), values);
        List<byte[]> out = new ArrayList<>();
        for (int c : chunks) {
            Chunk whole = TensorCodec.decode(all.get(c));
            out.add(TensorCodec.encodeChunk(new ChunkMeta(job, 1, 1, node, samplesPerChunk[c], Codec.FP32), c,
                    whole.chunkCount(), whole.totalElements(), whole.elementOffset(), whole.values(), 0,
                    whole.values().length));
        }
        return out;
    }

    @Test
    void everyChunkIsSummedOverTheNodesWhoseStagesHoldIt() {
        relay.onPlan(pipelined());
        float[] x = new float[TOTAL];
        float[] y = new float[TOTAL];
        for (int i = 0; i < TOTAL; i++) {
            if (i < SPLIT) {
                x[i] = 8f * (1 + i % 3); // stage 0's gradient, summed over 8 samples of both replicas
            } else {
                y[i] = -8f * (1 + i % 5);
            }
        }
        // chunk 1 straddles the split: both nodes send it; the samples of a chunk are counted by the node holding
        // its first element, so every chunk weighs 8 samples
        List<byte[]> fromX = contribution(job, "x", x, new int[] {8, 8, 0}, 0, 1);
        List<byte[]> fromY = contribution(job, "y", y, new int[] {0, 0, 8}, 1, 2);
        relay.offer(GradientHeaders.upKey(job, 1, "y", 2), fromY.get(1), "y2");
        relay.offer(GradientHeaders.upKey(job, 1, "x", 0), fromX.get(0), "x0");
        assertThat(sink.outputs).as("chunks 0 and 2 each have their only sender").hasSize(2);
        relay.offer(GradientHeaders.upKey(job, 1, "x", 1), fromX.get(1), "x1");
        assertThat(sink.outputs).as("chunk 1 waits for node y").hasSize(2);
        relay.offer(GradientHeaders.upKey(job, 1, "y", 1), fromY.get(0), "y1");

        assertThat(sink.dead).isEmpty();
        assertThat(sink.outputs).hasSize(3).allSatisfy(o -> assertThat(o.down()).isTrue());
        float[] average = new float[TOTAL];
        for (Output o : sink.outputs) {
            Chunk c = TensorCodec.decode(o.record());
            assertThat(c.meta().sampleCount()).isEqualTo(8);
            System.arraycopy(c.values(), 0, average, (int) c.elementOffset(), c.values().length);
        }
        for (int i = 0; i < TOTAL; i++) {
            assertThat(average[i]).isEqualTo(i < SPLIT ? x[i] / 8 : y[i] / 8);
        }
        assertThat(sink.ledger).singleElement().satisfies(e -> {
            assertThat(e.samples()).isEqualTo(8);
            assertThat(e.chunks()).isEqualTo(3);
            assertThat(e.contributors()).containsExactly("x", "y");
        });
    }

    @Test
    void aChunkFromANodeWhoseStagesDoNotHoldItIsADeadLetter() {
        relay.onPlan(pipelined());
        float[] zeros = new float[TOTAL];
        List<byte[]> fromY = contribution(job, "y", zeros, new int[] {0, 0, 8}, 0);
        relay.offer(GradientHeaders.upKey(job, 1, "y", 0), fromY.get(0), "y0");

        assertThat(sink.outputs).isEmpty();
        assertThat(sink.dead).singleElement().satisfies(d -> assertThat(d.reason())
                .isEqualTo(Rejection.UNKNOWN_SENDER));
    }
}
