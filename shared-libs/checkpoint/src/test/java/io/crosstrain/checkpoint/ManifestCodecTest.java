package io.crosstrain.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class ManifestCodecTest {

    private static CheckpointManifest sample() {
        UUID job = UUID.fromString("11111111-2222-3333-4444-555555555555");
        ShardState full = Fixtures.randomState(new SplittableRandom(1), 0, 10, true);
        return Fixtures.manifest(job, 40, full, List.of(
                new CheckpointManifest.Shard(CheckpointKeys.shard(job, 40, 0, 6), 0, 6, 152, "ab".repeat(32)),
                new CheckpointManifest.Shard(CheckpointKeys.shard(job, 40, 6, 4), 6, 4, 112, "cd".repeat(32))));
    }

    @Test
    void roundTrips() {
        CheckpointManifest m = sample();
        assertThat(ManifestCodec.decode(ManifestCodec.encode(m))).isEqualTo(m);
    }

    @Test
    void writesInstantsAsIsoStrings() {
        String json = new String(ManifestCodec.encode(sample()), StandardCharsets.UTF_8);
        assertThat(json).contains("\"createdAt\" : \"2026-01-02T03:04:05.123456Z\"")
                .contains("\"format\" : 1").contains("\"dModel\" : 96");
    }

    @Test
    void rejectsUnknownFormats() {
        String json = new String(ManifestCodec.encode(sample()), StandardCharsets.UTF_8)
                .replace("\"format\" : 1", "\"format\" : 2");
        assertThatThrownBy(() -> ManifestCodec.decode(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("format 2");
        CheckpointManifest m = sample();
        CheckpointManifest future = new CheckpointManifest(9, m.jobId(), m.step(), m.planVersion(), m.strategy(),
                m.model(), m.vocabSize(), m.parameters(), m.updates(), m.outer(), m.outerSteps(), m.shards(),
                m.createdAt());
        assertThatThrownBy(() -> ManifestCodec.encode(future)).hasMessageContaining("format 9");
        assertThatThrownBy(() -> ManifestCodec.decode("{\"step\":1}".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("no numeric \"format\"");
    }

    @Test
    void rejectsWhatIsNotJson() {
        assertThatThrownBy(() -> ManifestCodec.decode("{not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not valid JSON");
    }
}
