package io.crosstrain.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.crosstrain.bench.BenchMain;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The whole bench at a tiny size: real broker, real relay, every pass verified, JSON written. */
class RelayBenchRunTest {

    @Test
    void writesBothRatesAndTheirRatio(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("relay.json");
        int code = new CommandLine(new BenchMain()).execute("relay", "--senders", "2", "--chunks", "1",
                "--rounds", "2", "--warmup-rounds", "1", "--warmup-pairs", "1", "--repeats", "1", "--out", out.toString());

        assertThat(code).isZero();
        JsonNode json = JsonMapper.builder().build().readTree(Files.readString(out));
        double relay = json.get("relayMBps").asDouble();
        double raw = json.get("rawKafkaMBps").asDouble();
        assertThat(relay).isPositive();
        assertThat(raw).isPositive();
        assertThat(json.get("ratio").asDouble()).isCloseTo(relay / raw, within(1e-12));
        assertThat(json.get("verified").asBoolean()).isTrue();
        assertThat(json.get("relayClockStops").asString()).contains("grad-down holds the last average");
    }
}
