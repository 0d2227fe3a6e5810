package io.crosstrain.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A tiny {@code --quick} run end to end: the JSON contract and the relations between its figures. */
class WanBenchTest {

    @Test
    void quickRunWritesEveryRowWithConsistentFigures(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("wan.json");

        int code = new CommandLine(new WanBench()).execute("--quick", "--h", "5,20", "--codecs", "fp32,4-bit",
                "--out", out.toString());

        assertThat(code).isZero();
        JsonNode json = JsonMapper.builder().build().readTree(Files.readString(out));
        assertThat(json.get("wanToComputeRatio").asDouble()).isEqualTo(10.0);
        assertThat(json.get("mode").asString()).isEqualTo("emulated");
        double target = json.get("targetLoss").asDouble();
        JsonNode rows = json.get("rows");
        assertThat(rows.size()).isEqualTo(5);
        for (JsonNode row : rows) {
            for (String field : new String[] {"strategy", "h", "codec", "wanBytes", "reductionVsSyncDp", "finalLoss",
                "lossGapPct", "timeToTargetSeconds", "timeToTargetSpeedup"}) {
                assertThat(row.has(field)).as(field).isTrue();
            }
            double gap = 100 * (row.get("finalLoss").asDouble() - target) / target;
            assertThat(row.get("lossGapPct").asDouble()).isCloseTo(gap, within(1e-9));
        }
        JsonNode sync = rows.get(0);
        assertThat(sync.get("strategy").asString()).isEqualTo("sync-dp");
        assertThat(sync.get("reductionVsSyncDp").asDouble()).isEqualTo(1.0);
        assertThat(sync.get("finalLoss").asDouble()).isEqualTo(target);
        assertThat(sync.get("timeToTargetSpeedup").asDouble()).isEqualTo(1.0);
        long syncBytes = sync.get("wanBytes").asLong();
        for (int i = 1; i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            assertThat(row.get("strategy").asString()).isEqualTo("diloco");
            assertThat(row.get("wanBytes").asLong()).isLessThan(syncBytes);
            assertThat(row.get("reductionVsSyncDp").asDouble())
                    .isCloseTo(syncBytes / (double) row.get("wanBytes").asLong(), within(1e-9));
        }
        // with the same H, 4-bit sends fewer bytes than fp32
        assertThat(rows.get(2).get("wanBytes").asLong()).isLessThan(rows.get(1).get("wanBytes").asLong());
    }
}
