package io.crosstrain.relay.domain;

import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.ChunkView;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.GradientHeaders;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.Rounds;
import io.crosstrain.relay.domain.RoundAggregator.Output;
import io.crosstrain.relay.domain.RoundAggregator.Stage;
import io.crosstrain.relay.domain.RoundAggregator.WanEncoder;

/** Turns a complete chunk's sum into what the stage sends on: a partial for the WAN, or an average going down. */
final class OutputEncoder {

    private final Stage stage;
    private final String datacenter;
    private final String downSender;

    OutputEncoder(Stage stage, String datacenter) {
        this.stage = stage;
        this.datacenter = datacenter;
        this.downSender = RoundAggregator.relaySender(datacenter);
    }

    Output finish(JobPlan jobPlan, ChunkMeta meta, ChunkView chunk, Slot slot, WanEncoder wanEncoder) {
        Plan plan = jobPlan.plan;
        float[] sum = slot.acc;
        long weight = slot.weight;
        if (weight > Integer.MAX_VALUE) {
            throw new IllegalStateException("sample count " + weight + " overflows");
        }
        // The cross-DC average goes down. So does a datacenter's own average when nothing of the round crosses the
        // WAN: a DiLoCo inner round, and every round but an outer one of a plan with this datacenter alone, where the
        // cross-DC stage would sum one FP32 partial and divide it by the same samples, to the same bits.
        boolean down = stage == Stage.CROSS_DC
                || !Rounds.isOuter(meta.round()) && (plan.diloco() || jobPlan.soleDatacenter);
        if (!down) {
            ChunkMeta out = new ChunkMeta(meta.jobId(), meta.round(), meta.planVersion(), datacenter, (int) weight,
                    meta.codec());
            String key = GradientHeaders.wanKey(meta.jobId(), meta.round(), datacenter, chunk.chunkIndex());
            byte[] record = (Rounds.isOuter(meta.round()) ? wanEncoder : WanEncoder.FP32).encode(plan, out, chunk,
                    sum);
            return new Output(meta.jobId(), meta.round(), chunk.chunkIndex(), key, record, 0, slot.readyAtMs, false,
                    jobPlan.soleDatacenter, slot.stop);
        }
        // a round without samples has nothing to average: its (zero) sum goes out as is
        if (weight > 0) {
            float g = (float) weight;
            for (int i = 0; i < sum.length; i++) {
                sum[i] = sum[i] / g;
            }
        }
        ChunkMeta out = new ChunkMeta(meta.jobId(), meta.round(), meta.planVersion(), downSender, (int) weight,
                Codec.FP32);
        String key = GradientHeaders.downKey(meta.jobId(), meta.round(), chunk.chunkIndex());
        byte[] record = TensorCodec.encodeChunk(out, chunk.chunkIndex(), chunk.chunkCount(), chunk.totalElements(),
                chunk.elementOffset(), sum, 0, sum.length);
        return new Output(meta.jobId(), meta.round(), chunk.chunkIndex(), key, record, slot.foreignBytes,
                slot.readyAtMs, true, false, slot.stop);
    }
}
