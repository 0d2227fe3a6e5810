package io.crosstrain.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.crosstrain.localinfra.LocalPostgres;
import tools.jackson.databind.JsonNode;

/**
 * A short demo through the real services: every service as its own JVM from its jar, a real KRaft broker, the real
 * PostgreSQL (a database of its own, dropped afterwards), real DJL training on emulated chips.
 */
class DemoEndToEndIT {

    private static final String DATABASE = "ct_e2e_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    @AfterAll
    static void dropDatabase() {
        LocalPostgres.dropDatabase(LocalPostgres.LOCAL_ADMIN_URL, "postgres", "", DATABASE);
    }

    @Test
    void shortDemoTrainsOnThreeChipsAndReportsEveryField() throws Exception {
        Path home = Path.of(System.getProperty("crosstrain.home", "..")).toAbsolutePath().normalize();
        Path work = home.resolve("cli/target/e2e");
        Path reportFile = work.resolve("report.json");
        LocalStack.Options options = new LocalStack.Options(home, 0, 18080, DATABASE, work, DemoCluster.standard());
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new TeeStream(buffer, System.out), true, StandardCharsets.UTF_8);

        DemoRunner.Outcome outcome;
        try (LocalStack stack = new LocalStack(options, out)) {
            stack.start(Duration.ofMinutes(5));
            outcome = new DemoRunner(stack, new DemoRunner.Settings(10, 5, 88, 0.003, 7, null, reportFile,
                    Duration.ofMinutes(10)), out).run();
            Summary.print(out, outcome, 0);
        }
        JsonNode r = outcome.report();

        for (String field : List.of("jobId", "mode", "strategy", "steps", "samples", "loss", "efficiency", "devices",
                "wan", "emulation", "replicas")) {
            assertThat(r.has(field)).as("report field %s", field).isTrue();
        }
        for (String field : List.of("eta", "equalSplitEta", "achievedSamplesPerSec", "idealSamplesPerSec",
                "communicationFraction")) {
            assertThat(r.path("efficiency").path(field).isNumber()).as("efficiency.%s", field).isTrue();
        }
        for (String field : List.of("bytes", "syncDpBytes", "reduction")) {
            assertThat(r.path("wan").has(field)).as("wan.%s", field).isTrue();
        }
        assertThat(r.path("emulation").path("timeScale").asDouble()).isPositive();
        assertThat(r.path("mode").asString()).isEqualTo("emulated");
        assertThat(r.path("steps").asInt()).isEqualTo(10);
        assertThat(r.path("samples").asLong()).isEqualTo(10L * 88);

        // the loss fell and every replica ended bit-identical
        assertThat(r.path("loss").path("last").asDouble()).isLessThan(r.path("loss").path("first").asDouble());
        assertThat(r.path("replicas").path("identical").asBoolean()).isTrue();
        assertThat(r.path("replicas").path("checkedSteps").asInt()).isGreaterThanOrEqualTo(1);

        // three chips in three datacenters, each device with its own measured figures
        Set<String> chips = new HashSet<>();
        Set<String> dcs = new HashSet<>();
        for (JsonNode d : r.path("devices")) {
            chips.add(d.path("chip").asString());
            dcs.add(d.path("datacenter").asString());
            assertThat(d.path("samplesPerSec").asDouble()).isPositive();
            assertThat(d.path("busyFraction").asDouble()).isBetween(0.0, 1.0);
            for (String field : List.of("id", "batch")) {
                assertThat(d.has(field)).isTrue();
            }
        }
        assertThat(chips).containsExactlyInAnyOrder("A100-80G", "H20", "Ascend-910B");
        assertThat(dcs).containsExactlyInAnyOrder("bj", "sh", "gy");

        // the balanced plan beats the equal split, and the baseline was measured, not predicted
        assertThat(r.path("efficiency").path("equalSplitEtaSource").asString()).isEqualTo("measured");
        assertThat(r.path("efficiency").path("eta").asDouble())
                .isGreaterThan(r.path("efficiency").path("equalSplitEta").asDouble());
        assertThat(r.path("wan").path("bytes").asLong()).isPositive();

        assertThat(Files.size(outcome.plotFile())).isGreaterThan(10_000);
        assertThat(outcome.sample()).isNotBlank();
        assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("efficiency eta").contains("emulated");
    }

    /** Shows the demo's output live in the build log and keeps a copy to assert on. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
