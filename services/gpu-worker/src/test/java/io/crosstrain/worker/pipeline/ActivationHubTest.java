package io.crosstrain.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.TensorCodec;

/** Hand-overs from other nodes: which the hub keeps, and for whom. */
class ActivationHubTest {

    private static final UUID JOB = UUID.randomUUID();

    private static io.crosstrain.codec.ChunkView chunk(float... values) {
        return TensorCodec.view(TensorCodec.encode(new ChunkMeta(JOB, 1, 1, "n0", values.length, Codec.FP32), values)
                .get(0));
    }

    @Test
    void aHandOverAddressedToThisNodeIsKeptUntilItsStageRegistersLate() throws Exception {
        ActivationHub hub = new ActivationHub();
        ActivationHub.Key key = new ActivationHub.Key(JOB, 1, 1, "dc-r0", 1, 0, true);
        // the sender had plan v1 first: its activations arrive before this node registered stage 1
        assertThat(hub.deliver(key, chunk(1f, 2f), 0L, true)).isTrue();
        hub.register(JOB, 1, "dc-r0", 1);
        assertThat(hub.take(key, 1_000).values()).containsExactly(1f, 2f);
        assertThat(hub.held()).isZero();
    }

    @Test
    void aHandOverForAnotherNodeSharingThePartitionIsNotKept() {
        ActivationHub hub = new ActivationHub();
        ActivationHub.Key key = new ActivationHub.Key(JOB, 1, 1, "dc-r1", 1, 0, true);
        assertThat(hub.deliver(key, chunk(1f), 0L, false)).isFalse();
        assertThat(hub.held()).isZero();
    }

    @Test
    void theRecordKeyNamesTheReceivingNodeAndStillParsesAsTheHandOver() {
        ActivationHub.Key key = new ActivationHub.Key(JOB, 3, 7, "gy-r0", 2, 5, false);
        String wire = key.wire("gy-node-1");
        assertThat(ActivationHub.Key.parse(wire)).isEqualTo(key);
        assertThat(ActivationHub.Key.toNode(wire)).isEqualTo("gy-node-1");
        assertThat(ActivationHub.Key.toNode(key.wire())).isNull();
    }
}
