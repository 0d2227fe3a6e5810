package io.crosstrain.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import io.crosstrain.testsupport.TestInfra;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * docker-compose.yml for real, as a user runs it: every image built here without a registry
 * ({@code scripts/build-images}), the stack started by compose with fresh secrets, every container healthy, the demo
 * cluster registered and a short demo job trained to SUCCEEDED through the gateway's published port, Prometheus
 * scraping every service, and {@code down -v} leaving no container, network or volume of the project behind.
 */
class ComposeStackIT {

    private static final Path HOME = Path.of(System.getProperty("crosstrain.home", "..")).toAbsolutePath()
            .normalize();
    private static final Path WORK = HOME.resolve("cli/target/e2e-compose");
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    private static final Duration HEALTHY_WITHIN = Duration.ofMinutes(6);
    /** gateway, device-inventory, job-api, scheduler, three relays, three workers, Prometheus itself. */
    private static final int SCRAPE_TARGETS = 11;

    @Test
    void theDemoJobSucceedsThroughTheComposeStackAndDownLeavesNothing() throws Exception {
        Assumptions.assumeTrue(TestInfra.source() == TestInfra.Source.CONTAINERS, "no Docker engine with the base "
                + "images answers (as root, ./crosstrain test starts one); the compose stack needs it");
        Files.createDirectories(WORK);
        String project = "ctit" + UUID.randomUUID().toString().substring(0, 6);
        int port = freePort();
        Path env = WORK.resolve("compose.env");
        OwnerOnlyFile.write(env, run(List.of("scripts/compose-env"), Duration.ofSeconds(30))
                + "CROSSTRAIN_GATEWAY_PORT=" + port + "\n");
        Properties secrets = new Properties();
        try (var in = Files.newBufferedReader(env)) {
            secrets.load(in);
        }
        List<String> compose = new ArrayList<>(composeCommand());
        compose.addAll(List.of("--env-file", env.toString(), "-p", project));

        long t0 = System.nanoTime();
        run(List.of("scripts/build-images"), Duration.ofMinutes(15));
        OUT.printf("compose: images built in %.0f s%n", (System.nanoTime() - t0) / 1e9);
        try {
            long t1 = System.nanoTime();
            run(with(compose, "up", "-d", "--no-build"), HEALTHY_WITHIN);
            awaitHealthy(project);
            OUT.printf("compose: stack healthy in %.0f s%n", (System.nanoTime() - t1) / 1e9);

            JsonMapper mapper = JsonMapper.builder().build();
            ApiClient api = new ApiClient("http://127.0.0.1:" + port, mapper, secrets.getProperty(
                    "CROSSTRAIN_ADMIN_KEY"));
            DemoRunner.Target target = new DemoRunner.Target(api, DemoCluster.standard(), null,
                    "docker compose -p " + project + " logs");
            DemoRunner.Outcome outcome = new DemoRunner(target, new DemoRunner.Settings(10, 0, 88, 0.003, 7, null,
                    WORK.resolve("report.json"), Duration.ofMinutes(10)), OUT).run();
            Summary.print(OUT, outcome, (System.nanoTime() - t0) / 1e9);

            JsonNode job = api.ok(api.get("/api/v1/jobs/" + outcome.jobId()), "job");
            assertThat(job.path("state").asString()).isEqualTo("SUCCEEDED");
            JsonNode r = outcome.report();
            assertThat(r.path("mode").asString()).isEqualTo("emulated");
            assertThat(r.path("steps").asInt()).isEqualTo(10);
            assertThat(r.path("samples").asLong()).isEqualTo(10L * 88);
            assertThat(r.path("loss").path("last").asDouble()).isLessThan(r.path("loss").path("first").asDouble());
            assertThat(r.path("replicas").path("identical").asBoolean()).isTrue();
            Set<String> chips = new HashSet<>();
            r.path("devices").forEach(d -> chips.add(d.path("chip").asString()));
            assertThat(chips).containsExactlyInAnyOrder("A100-80G", "H20", "Ascend-910B");
            assertThat(r.path("devices").size()).isEqualTo(12);

            assertPrometheusScrapesEveryService(project);
        } catch (AssertionError | Exception e) {
            Path logs = WORK.resolve(project + "-logs.txt");
            Files.writeString(logs, run(with(compose, "logs", "--no-color", "--tail=300"), Duration.ofMinutes(2)));
            OUT.println("compose: the containers' logs are in " + logs);
            throw e;
        } finally {
            run(with(compose, "down", "-v", "--remove-orphans", "-t", "20"), Duration.ofMinutes(3));
        }
        String label = "label=com.docker.compose.project=" + project;
        assertThat(run(List.of("docker", "ps", "-aq", "--filter", label), Duration.ofSeconds(30)))
                .as("containers left by down").isBlank();
        assertThat(run(List.of("docker", "network", "ls", "-q", "--filter", label), Duration.ofSeconds(30)))
                .as("networks left by down").isBlank();
        assertThat(run(List.of("docker", "volume", "ls", "-q", "--filter", label), Duration.ofSeconds(30)))
                .as("volumes left by down -v").isBlank();
    }

    /** Every container running and healthy, the one-shot kafka-setup exited 0. */
    private static void awaitHealthy(String project) throws Exception {
        long deadline = System.nanoTime() + HEALTHY_WITHIN.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            last = run(List.of("docker", "ps", "-a", "--filter", "label=com.docker.compose.project=" + project,
                    "--format", "{{.Label \"com.docker.compose.service\"}}\t{{.Status}}"), Duration.ofSeconds(30));
            List<String> lines = last.lines().filter(l -> !l.isBlank()).toList();
            boolean ready = lines.size() >= 14 && lines.stream().allMatch(l -> l.startsWith("kafka-setup\t")
                    ? l.contains("Exited (0)") : l.contains("(healthy)"));
            if (ready) {
                return;
            }
            Thread.sleep(2000);
        }
        throw new AssertionError("the compose stack was not healthy within " + HEALTHY_WITHIN.toSeconds() + " s:\n"
                + last);
    }

    /** Prometheus is not published: ask it from inside its container which targets it scrapes, and how. */
    private static void assertPrometheusScrapesEveryService(String project) throws Exception {
        String container = run(List.of("docker", "ps", "-q", "--filter", "label=com.docker.compose.project="
                + project, "--filter", "label=com.docker.compose.service=prometheus"), Duration.ofSeconds(30)).strip();
        JsonMapper mapper = JsonMapper.builder().build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        List<String> down = List.of();
        int seen = 0;
        while (System.nanoTime() < deadline) {
            String raw = run(List.of("docker", "exec", container, "bash", "-c",
                    "exec 3<>/dev/tcp/127.0.0.1/9090 && printf 'GET /api/v1/targets?state=active HTTP/1.0\\r\\n\\r\\n'"
                            + " >&3 && cat <&3"), Duration.ofSeconds(30));
            JsonNode targets = mapper.readTree(raw.substring(raw.indexOf('{'))).path("data").path("activeTargets");
            down = new ArrayList<>();
            for (JsonNode t : targets) {
                if (!"up".equals(t.path("health").asString())) {
                    down.add(t.path("scrapeUrl").asString() + " " + t.path("health").asString());
                }
            }
            seen = targets.size();
            if (seen == SCRAPE_TARGETS && down.isEmpty()) {
                return;
            }
            Thread.sleep(3000);
        }
        throw new AssertionError("Prometheus scrapes " + seen + " of " + SCRAPE_TARGETS + " targets (every CrossTrain "
                + "service container and itself); not up: " + down);
    }

    private static List<String> composeCommand() throws Exception {
        try {
            run(List.of("docker", "compose", "version"), Duration.ofSeconds(30));
            return List.of("docker", "compose");
        } catch (AssertionError notV2) {
            return List.of("docker-compose");
        }
    }

    private static List<String> with(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all;
    }

    /** Runs a command in the project's directory; its output is echoed and returned; a non-zero exit fails. */
    private static String run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(HOME.toFile()).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (var in = p.inputReader(StandardCharsets.UTF_8)) {
                in.lines().forEach(l -> out.append(l).append('\n'));
            } catch (IOException ignored) {
                // the process ended
            }
        });
        reader.start();
        if (!p.waitFor(timeout.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not end within " + timeout.toSeconds() + " s");
        }
        reader.join(5000);
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + p.exitValue() + ":\n" + out);
        }
        return out.toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
