package io.crosstrain.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The large demo model through the real services: a model no emulated chip holds whole at its batch, so the planner
 * gives every datacenter its own layout — two 2-stage replicas on bj's A100s, whole replicas on sh's H20s, one
 * 3-stage replica on gy's 910Bs whose last stage sits on a second node (its activations cross Kafka). The gy node
 * with that last stage is killed mid-job: the job re-plans, gy's two survivors become a replica of two stages that
 * take over blocks they did not hold (re-sharded from the committed state), and the job finishes with every step and
 * sample counted once and every parameter range identical on all devices that hold it.
 */
class PipelineEndToEndIT {

    private static final String DATABASE = "ct_pipe_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private static final Path HOME = Path.of(System.getProperty("crosstrain.home", "..")).toAbsolutePath()
            .normalize();
    private static final Path WORK = HOME.resolve("cli/target/e2e-pipeline");
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    private static final int PORT_BASE = Integer.getInteger("crosstrain.e2e.pipelinePortBase", 17080);
    private static final DemoCluster CLUSTER = new DemoCluster(List.of(
            DemoCluster.datacenter("bj", "Beijing", "a100", "A100-80G", 4),
            DemoCluster.datacenter("sh", "Shanghai", "h20", "H20", 4),
            DemoCluster.datacenter("gy", "Guiyang", "910b", "Ascend-910B", new int[] {2, 1})));
    private static LocalStack stack;

    @BeforeAll
    static void startStack() throws Exception {
        // a silent device is SUSPECT after 4 s and DOWN after 8 s (heartbeats come every 2 s)
        stack = new LocalStack(new LocalStack.Options(HOME, 0, PORT_BASE, DATABASE, WORK, CLUSTER,
                Map.of("CROSSTRAIN_INVENTORY_SUSPECTAFTER", "4s", "CROSSTRAIN_INVENTORY_DOWNAFTER", "8s")), OUT);
        stack.start(Duration.ofMinutes(5));
        DemoRunner.prepareCluster(stack, OUT, Duration.ofMinutes(3));
    }

    @AfterAll
    static void stopStackAndDropDatabase() {
        E2e.stop(stack, DATABASE);
    }

    @Test
    void threeLayoutsTrainOneModelAndSurviveTheLossOfAStageDevice() throws Exception {
        ApiClient api = stack.api(JsonMapper.builder().build());
        int steps = 12;
        int globalBatch = 96;
        DemoModel large = DemoModel.LARGE;
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", "e2e-pipelines");
        spec.put("model", large.spec());
        spec.put("memoryScale", large.memoryScale());
        spec.put("dataset", Map.of("kind", "bundled", "name", "grammar-en"));
        spec.put("steps", steps);
        spec.put("globalBatch", globalBatch);
        spec.put("learningRate", large.learningRate());
        spec.put("seed", 5);
        spec.put("hashEvery", 2);
        UUID jobId = UUID.fromString(api.ok(api.post("/api/v1/jobs", spec), "submit").path("id").asString());

        JsonNode job = E2e.awaitJob(api, jobId, j -> "RUNNING".equals(j.path("state").asString())
                && j.path("step").asInt() >= 3, Duration.ofMinutes(4));
        // the plan in effect (a drift re-plan may have rebalanced it already; rebalancing keeps layouts)
        JsonNode first = api.ok(api.get("/api/v1/jobs/" + jobId + "/plan"), "plan before the kill");

        // three datacenters, three different layouts: stages per replica and the blocks of each stage
        Map<String, String> layouts = layouts(first);
        OUT.println("  plan v" + first.path("planVersion").asInt() + " layouts: " + layouts);
        assertThat(layouts).containsOnlyKeys("bj", "sh", "gy");
        assertThat(new TreeSet<>(layouts.values())).hasSize(3);
        assertThat(layouts.get("sh")).isEqualTo("whole");
        assertThat(first.path("layouts").size()).isEqualTo(3);
        JsonNode lastGyStage = stageDevice(first, "gy", true);
        assertThat(lastGyStage.path("nodeId").asString()).as("gy's last stage runs on the second node")
                .isEqualTo("gy-node-1");

        int stepAtKill = job.path("step").asInt();
        stack.service("worker-gy-node-1").kill();
        OUT.println("  killed worker-gy-node-1 (" + lastGyStage.path("deviceId").asString() + ", the last stage of "
                + lastGyStage.path("replica").asString() + ") at step " + stepAtKill);

        job = E2e.awaitEnd(api, jobId, Duration.ofMinutes(8));
        assertThat(job.path("state").asString()).as("final state, reason: %s", job.path("reason").asString())
                .isEqualTo("SUCCEEDED");
        List<String> states = new ArrayList<>();
        List<String> recoveries = new ArrayList<>();
        api.ok(api.get("/api/v1/jobs/" + jobId + "/history"), "history").forEach(h -> {
            states.add(h.path("to").asString());
            if ("RECOVERING".equals(h.path("to").asString())) {
                recoveries.add(h.path("reason").asString());
            }
        });
        assertThat(states).containsSubsequence("RUNNING", "RECOVERING", "RUNNING", "SUCCEEDED");
        assertThat(recoveries).anySatisfy(r -> assertThat(r).contains(lastGyStage.path("deviceId").asString()));

        // the re-plan lays gy out anew from its two survivors (fewer stages, more blocks each: their devices take
        // over blocks they did not hold, from the state the others published) and keeps bj's and sh's replicas
        JsonNode last = api.ok(api.get("/api/v1/jobs/" + jobId + "/plan"), "latest plan");
        assertThat(last.path("planVersion").asInt()).isGreaterThan(first.path("planVersion").asInt());
        Map<String, String> after = layouts(last);
        OUT.println("  plan v" + last.path("planVersion").asInt() + " layouts: " + after);
        assertThat(after.get("bj")).isEqualTo(layouts.get("bj"));
        assertThat(after.get("sh")).isEqualTo("whole");
        assertThat(after.get("gy")).as("gy re-laid out on its survivors").isNotNull()
                .isNotEqualTo(layouts.get("gy")).contains("|");
        Set<String> gyDevices = new TreeSet<>();
        last.path("devices").forEach(d -> {
            if ("gy".equals(d.path("datacenter").asString())) {
                gyDevices.add(d.path("deviceId").asString());
            }
        });
        assertThat(gyDevices).containsExactly("gy-910b-0", "gy-910b-1");

        // every step and sample exactly once, and every parameter range identical wherever it is held
        JsonNode r = api.ok(api.get("/api/v1/jobs/" + jobId + "/report"), "report");
        assertThat(r.path("steps").asInt()).isEqualTo(steps);
        assertThat(r.path("samples").asLong()).isEqualTo((long) steps * globalBatch);
        assertThat(r.path("replicas").path("identical").asBoolean()).as("replicas: %s", r.path("replicas"))
                .isTrue();
        Set<String> ranges = new TreeSet<>();
        for (JsonNode g : r.path("replicas").path("groups")) {
            ranges.add(g.path("range").asString());
            assertThat(g.path("identical").asBoolean()).as("group %s", g).isTrue();
            assertThat(g.path("checkedSteps").asInt()).as("group %s", g).isPositive();
        }
        // the whole vector (sh), bj's two stage ranges, gy's three before the kill (its two after are bj's)
        assertThat(ranges).contains("whole").hasSizeGreaterThanOrEqualTo(6);
        assertThat(r.path("loss").path("last").asDouble()).isLessThan(r.path("loss").path("first").asDouble());
        assertThat(r.path("emulation").path("memoryScale").asDouble()).isEqualTo(large.memoryScale());
        assertThat(r.path("bubbleFraction").isNumber()).isTrue();
        OUT.printf("  pipelines: killed at step %d, plan v%d from step %d; %d steps, %d samples, loss %.3f -> %.3f, "
                        + "%d parameter ranges identical, bubble %.3f (emulated)%n", stepAtKill,
                last.path("planVersion").asInt(), last.path("startStep").asInt(), r.path("steps").asInt(),
                r.path("samples").asLong(), r.path("loss").path("first").asDouble(),
                r.path("loss").path("last").asDouble(), ranges.size(), r.path("bubbleFraction").asDouble());
    }

    /** Per datacenter: "whole", or the block ranges of its first replica's stages, e.g. "0-2|3-5". */
    private static Map<String, String> layouts(JsonNode plan) {
        Map<String, String> out = new TreeMap<>();
        for (JsonNode d : plan.path("devices")) {
            String dc = d.path("datacenter").asString();
            JsonNode st = d.path("stage");
            if (st.isMissingNode() || st.isNull()) {
                out.putIfAbsent(dc, "whole");
                continue;
            }
            String replica = d.path("replica").asString();
            String first = plan.path("devices").valueStream().filter(x -> dc.equals(x.path("datacenter").asString()))
                    .map(x -> x.path("replica").asString()).sorted().findFirst().orElseThrow();
            if (replica.equals(first)) {
                String range = st.path("firstLayer").asInt() + "-" + st.path("lastLayer").asInt();
                out.merge(dc, range, (a, b) -> a + "|" + b);
            }
        }
        return out;
    }

    private static JsonNode stageDevice(JsonNode plan, String dc, boolean last) {
        for (JsonNode d : plan.path("devices")) {
            JsonNode st = d.path("stage");
            if (dc.equals(d.path("datacenter").asString()) && !st.isMissingNode() && !st.isNull()
                    && (st.path("index").asInt() == st.path("stages").asInt() - 1) == last) {
                return d;
            }
        }
        throw new AssertionError("no " + (last ? "last" : "first") + " stage in " + dc + ": " + plan);
    }
}
