package io.crosstrain.scheduler.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.assertj.MockMvcTester;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Web slice with the real planner and catalogue: the simulate endpoint's answers and its problem+json errors. */
@WebMvcTest(SimulationController.class)
@Import(SimulationControllerTest.OnePlanner.class)
class SimulationControllerTest {

    /** The planner the scheduler's configuration makes, with the built-in catalogue. */
    @org.springframework.boot.test.context.TestConfiguration(proxyBeanMethods = false)
    static class OnePlanner {
        @org.springframework.context.annotation.Bean
        io.crosstrain.planner.ClusterPlanner clusterPlanner() {
            return new io.crosstrain.planner.ClusterPlanner(io.crosstrain.planner.ChipCatalogue.defaults());
        }
    }

    @Autowired
    MockMvcTester mvc;

    @Autowired
    JsonMapper json;

    /** §1 of the architecture, scaled down: 2× A100-80G in bj, 2× H20 in sh, 2× Ascend 910B in gy. */
    private static final String CLUSTER = """
            "datacenters": [{"id": "bj"}, {"id": "sh"}, {"id": "gy"}],
            "links": [{"from": "bj", "to": "sh", "gbps": 10, "latencyMs": 30},
                      {"from": "bj", "to": "gy", "gbps": 1, "latencyMs": 40},
                      {"from": "gy", "to": "sh", "gbps": 5, "latencyMs": 35}],
            "devices": [{"id": "bj-0", "datacenter": "bj", "chip": "A100-80G"},
                        {"id": "bj-1", "datacenter": "bj", "chip": "A100-80G"},
                        {"id": "sh-0", "datacenter": "sh", "chip": "H20"},
                        {"id": "sh-1", "datacenter": "sh", "chip": "H20"},
                        {"id": "gy-0", "datacenter": "gy", "chip": "Ascend-910B"},
                        {"id": "gy-1", "datacenter": "gy", "chip": "Ascend-910B", "samplesPerSec": 100,
                         "maxMicroBatch": 64}]
            """;

    private MvcTestResult post(String json) {
        return mvc.post().uri("/api/v1/plans/simulate").contentType(MediaType.APPLICATION_JSON).content(json)
                .exchange();
    }

    @Test
    void plansTheClusterWithPerDatacenterGroups() {
        MvcTestResult r = post("{" + CLUSTER + """
                , "job": {"model": {"layers": 24, "dModel": 1024, "heads": 16, "seqLen": 1024, "vocabSize": 32000},
                          "globalBatch": 600, "allowGradientAccumulation": true, "strategy": "auto"}}
                """);

        assertThat(r).hasStatusOk().bodyJson()
                .hasPathSatisfying("$.feasible", v -> v.assertThat().isEqualTo(true))
                .doesNotHavePath("$.reason")
                .hasPathSatisfying("$.devices.length()", v -> v.assertThat().isEqualTo(6))
                .hasPathSatisfying("$.devices[0].id", v -> v.assertThat().isEqualTo("bj-0"))
                .hasPathSatisfying("$.devices[0].speedSource", v -> v.assertThat().isEqualTo("roofline"))
                .hasPathSatisfying("$.devices[3].id", v -> v.assertThat().isEqualTo("gy-1"))
                .hasPathSatisfying("$.devices[3].speedSource", v -> v.assertThat().isEqualTo("measured"))
                .hasPathSatisfying("$.devices[3].maxMicroBatch", v -> v.assertThat().isEqualTo(64))
                .hasPathSatisfying("$.datacenters[*].id", v -> v.assertThat().asList()
                        .containsExactly("bj", "gy", "sh"))
                .hasPathSatisfying("$.predicted.strategy", v -> v.assertThat().asString().isIn("sync-dp", "diloco"))
                .hasPathSatisfying("$.predicted.stepSeconds", v -> v.assertThat().asNumber().isNotNull())
                .hasPathSatisfying("$.predicted.eta", v -> v.assertThat().asNumber().isNotNull())
                .hasPathSatisfying("$.predicted.equalSplitEta", v -> v.assertThat().asNumber().isNotNull())
                .hasPathSatisfying("$.predicted.wanBytesPerStep", v -> v.assertThat().asNumber().isNotNull())
                .hasPathSatisfying("$.predicted.h", v -> v.assertThat().asNumber().isNotNull())
                .hasPathSatisfying("$.assumptions[0]", v -> v.assertThat().asString().contains("prediction"));
        // the groups take the whole batch, and gy, with its measured fast device, the largest share
        assertThat(r).bodyJson().extractingPath("$.datacenters[*].batch").asList()
                .satisfies(batches -> {
                    assertThat(batches.stream().mapToInt(b -> ((Number) b).intValue()).sum()).isEqualTo(600);
                    int bj = ((Number) batches.get(0)).intValue();
                    assertThat(((Number) batches.get(1)).intValue()).isGreaterThan(bj);
                });
        // the roofline devices' caps (~16 samples of a 350 M model) are exceeded, so they accumulate
        assertThat(r).bodyJson().extractingPath("$.devices[0].microBatches").asNumber().satisfies(
                m -> assertThat(m.intValue()).isGreaterThan(1));
    }

    @Test
    void capsBelowTheGlobalBatchWithoutAccumulationIsAnInfeasiblePlanNotAnError() {
        assertThat(post("""
                {"datacenters": [{"id": "a"}],
                 "devices": [{"id": "x", "datacenter": "a", "chip": "H20", "maxMicroBatch": 3},
                             {"id": "y", "datacenter": "a", "chip": "H20", "maxMicroBatch": 4}],
                 "job": {"parametersM": 125, "tokensPerSample": 1024, "globalBatch": 8,
                         "allowGradientAccumulation": false, "strategy": "sync-dp"}}
                """)).hasStatusOk().bodyJson()
                .hasPathSatisfying("$.feasible", v -> v.assertThat().isEqualTo(false))
                .hasPathSatisfying("$.reason", v -> v.assertThat().asString()
                        .contains("sum to 7 samples, less than the global batch of 8"))
                .hasPathSatisfying("$.devices.length()", v -> v.assertThat().isEqualTo(0))
                .doesNotHavePath("$.predicted");
    }

    @Test
    void withAccumulationTheSameJobRunsInMicroBatches() {
        assertThat(post("""
                {"datacenters": [{"id": "a"}],
                 "devices": [{"id": "x", "datacenter": "a", "chip": "H20", "maxMicroBatch": 3, "samplesPerSec": 10},
                             {"id": "y", "datacenter": "a", "chip": "H20", "maxMicroBatch": 4, "samplesPerSec": 10}],
                 "job": {"parametersM": 125, "tokensPerSample": 1024, "globalBatch": 8,
                         "allowGradientAccumulation": true}}
                """)).hasStatusOk().bodyJson()
                .hasPathSatisfying("$.feasible", v -> v.assertThat().isEqualTo(true))
                .hasPathSatisfying("$.devices[*].batch", v -> v.assertThat().asList().containsExactly(4, 4))
                .hasPathSatisfying("$.devices[*].microBatches", v -> v.assertThat().asList().containsExactly(2, 1))
                .hasPathSatisfying("$.predicted.strategy", v -> v.assertThat().isEqualTo("sync-dp"))
                .hasPathSatisfying("$.predicted.h", v -> v.assertThat().isEqualTo(1))
                .hasPathSatisfying("$.predicted.wanBytesPerStep", v -> v.assertThat().asNumber().isEqualTo(0.0));
    }

    @Test
    void placementThatLeavesTooFewDevicesIsInfeasibleWithTheCounts() {
        assertThat(post("{" + CLUSTER + """
                , "job": {"parametersM": 125, "tokensPerSample": 1024, "globalBatch": 64,
                          "allowGradientAccumulation": true,
                          "placement": {"datacenters": ["bj", "sh"], "chips": ["H20"], "minDevices": 3}}}
                """)).hasStatusOk().bodyJson()
                .hasPathSatisfying("$.feasible", v -> v.assertThat().isEqualTo(false))
                .hasPathSatisfying("$.reason", v -> v.assertThat().isEqualTo("needs at least 3 devices, 2 of 6 "
                        + "remain: 2 excluded by datacenters [bj, sh], 2 by chips [H20]"));
    }

    @Test
    void anUnknownChipIs422NamingTheField() {
        assertThat(post("""
                {"datacenters": [{"id": "a"}],
                 "devices": [{"id": "x", "datacenter": "a", "chip": "H20"},
                             {"id": "y", "datacenter": "a", "chip": "H20"},
                             {"id": "z", "datacenter": "a", "chip": "TPU-v9"}],
                 "job": {"parametersM": 125, "tokensPerSample": 1024, "globalBatch": 8}}
                """)).hasStatus(422).hasContentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON).bodyJson()
                .hasPathSatisfying("$.field", v -> v.assertThat().isEqualTo("devices[2].chip"))
                .hasPathSatisfying("$.errors[0].message", v -> v.assertThat().asString().contains("TPU-v9")
                        .contains("A100-80G"));
    }

    @Test
    void anUnknownDatacenterIs422() {
        assertThat(post("""
                {"datacenters": [{"id": "a"}],
                 "links": [{"from": "a", "to": "b", "gbps": 1}],
                 "devices": [{"id": "x", "datacenter": "c", "chip": "H20"}],
                 "job": {"parametersM": 125, "tokensPerSample": 1024, "globalBatch": 8}}
                """)).hasStatus(422).bodyJson()
                .hasPathSatisfying("$.errors[*].field", v -> v.assertThat().asList()
                        .containsExactly("links[0].to", "devices[0].datacenter"));
    }

    @Test
    void malformedFieldsAre400AndAllNamed() {
        assertThat(post("""
                {"datacenters": [{"id": "a"}, {"id": "a"}],
                 "devices": [{"id": "x", "datacenter": "a", "chip": "H20", "samplesPerSec": -1},
                             {"id": "x", "datacenter": "a", "chip": "nope"}],
                 "job": {"model": {"layers": 0, "dModel": 96, "heads": 4, "seqLen": 64, "vocabSize": 64},
                         "strategy": "ring", "codec": "int3", "h": 0}}
                """)).hasStatus(400).hasContentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON).bodyJson()
                .hasPathSatisfying("$.errors[*].field", v -> v.assertThat().asList().containsExactlyInAnyOrder(
                        "datacenters[1].id", "devices[0].samplesPerSec", "devices[1].id", "job.model.layers",
                        "job.globalBatch", "job.strategy", "job.h", "job.codec", "devices[1].chip"));
    }

    @Test
    void theModelIsGivenOneWayOnly() {
        for (String job : List.of(
                "{\"globalBatch\": 8}",
                "{\"globalBatch\": 8, \"parametersM\": 10}",
                "{\"globalBatch\": 8, \"parametersM\": 10, \"tokensPerSample\": 8, \"model\": {\"layers\": 1, "
                        + "\"dModel\": 8, \"heads\": 1, \"seqLen\": 8, \"vocabSize\": 8}}")) {
            assertThat(post("{\"datacenters\": [{\"id\": \"a\"}], \"devices\": [{\"id\": \"x\", \"datacenter\": "
                    + "\"a\", \"chip\": \"H20\"}], \"job\": " + job + "}"))
                    .hasStatus(400).bodyJson().extractingPath("$.field").asString()
                    .isIn("job.model", "job.tokensPerSample", "job.parametersM");
        }
    }

    @Test
    void unknownAndMistypedFieldsAre400NamingThePath() {
        assertThat(post("""
                {"datacenters": [{"id": "a"}],
                 "devices": [{"id": "x", "datacenter": "a", "chip": "H20", "samplesPerSecond": 3}],
                 "job": {"parametersM": 125, "tokensPerSample": 1024, "globalBatch": 8}}
                """)).hasStatus(400).bodyJson()
                .hasPathSatisfying("$.field", v -> v.assertThat().isEqualTo("devices[0].samplesPerSecond"));
        assertThat(post("""
                {"datacenters": [{"id": "a"}],
                 "devices": [{"id": "x", "datacenter": "a", "chip": "H20"}],
                 "job": {"parametersM": 125, "tokensPerSample": 1024, "globalBatch": "many"}}
                """)).hasStatus(400).bodyJson()
                .hasPathSatisfying("$.field", v -> v.assertThat().isEqualTo("job.globalBatch"));
    }

    // ---------------------------------------------------------------- hybrid layouts

    /** {@code n} devices of one chip in one datacenter, as JSON array elements. */
    private static String devices(String dc, String chip, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("{\"id\": \"" + dc + "-" + i + "\", \"datacenter\": \"" + dc + "\", \"chip\": \"" + chip + "\"}");
        }
        return String.join(", ", out);
    }

    private static final String THIRTEEN_B = """
            {"layers": 40, "dModel": 5120, "heads": 40, "seqLen": 4096, "vocabSize": 32000}""";
    private static final String SEVEN_B = """
            {"layers": 32, "dModel": 4096, "heads": 32, "seqLen": 4096, "vocabSize": 32000}""";

    /** Three datacenters of eight devices each and a 13B-class shape, which needs pipelines on every chip. */
    private static final String THREE_BY_EIGHT = """
            "datacenters": [{"id": "bj"}, {"id": "sh"}, {"id": "gy"}],
            "links": [{"from": "bj", "to": "sh", "gbps": 10, "latencyMs": 30},
                      {"from": "bj", "to": "gy", "gbps": 1, "latencyMs": 40},
                      {"from": "gy", "to": "sh", "gbps": 5, "latencyMs": 35}],
            "devices": [""" + devices("bj", "A100-80G", 8) + ", " + devices("sh", "H20", 8) + ", "
            + devices("gy", "Ascend-910B", 8) + "]";

    /** One datacenter of three A100-80G and one H20. */
    private static final String MIXED = """
            "datacenters": [{"id": "bj"}],
            "devices": [""" + devices("bj", "A100-80G", 3) + ", "
            + "{\"id\": \"bj-h20\", \"datacenter\": \"bj\", \"chip\": \"H20\"}]";

    private JsonNode ok(MvcTestResult r) throws Exception {
        assertThat(r).hasStatusOk();
        JsonNode body = json.readTree(r.getResponse().getContentAsString());
        assertThat(body.path("feasible").asBoolean()).as(body.path("reason").asString()).isTrue();
        return body;
    }

    @Test
    void aThirteenBModelIsPipelinedInEveryDatacenterWithinEveryDevicesMemory() throws Exception {
        JsonNode body = ok(post("{" + THREE_BY_EIGHT + ", \"job\": {\"model\": " + THIRTEEN_B
                + ", \"globalBatch\": 192}}"));

        assertThat(body.path("model").path("layers").asInt()).isEqualTo(40);
        assertThat(body.path("model").path("parameters").asLong()).isBetween(12_000_000_000L, 14_000_000_000L);
        JsonNode layouts = body.path("layouts");
        assertThat(layouts.size()).isEqualTo(3);
        List<String> ids = new ArrayList<>();
        int batch = 0;
        for (JsonNode layout : layouts) {
            String dc = layout.path("datacenter").asString();
            ids.add(dc);
            batch += layout.path("batch").asInt();
            // 13B needs about 207 GB for weights, gradients and AdamW state: no chip here holds a whole replica
            assertThat(layout.path("stages").asInt()).as(dc).isGreaterThan(1);
            assertThat(layout.path("replicas").asInt()).as(dc).isEqualTo(layout.path("replicaPlans").size());
            assertThat(layout.path("maxMicroBatch").asInt()).as(dc).isPositive();
            assertThat(layout.path("stepSeconds").asDouble()).as(dc).isPositive();
            assertThat(layout.path("bubbleFraction").asDouble()).as(dc).isBetween(0.0, 1.0);
            assertThat(layout.path("eta").asDouble()).as(dc).isBetween(0.0, 1.0);
            assertThat(layout.path("equalLayers").path("feasible").isBoolean()).as(dc).isTrue();
            assertThat(layout.path("dataParallelOnly").path("feasible").asBoolean()).as(dc).isFalse();
            assertThat(layout.path("dataParallelOnly").path("reason").asString()).as(dc).contains("fits");
            for (JsonNode replica : layout.path("replicaPlans")) {
                JsonNode stages = replica.path("stages");
                assertThat(stages.size()).as(dc).isEqualTo(layout.path("stages").asInt());
                int next = 0;
                for (JsonNode stage : stages) {
                    String at = replica.path("id").asString() + " stage " + stage.path("index").asInt();
                    // the blocks in order, each in exactly one stage of the replica
                    assertThat(stage.path("firstLayer").asInt()).as(at).isEqualTo(next);
                    assertThat(stage.path("lastLayer").asInt()).as(at).isGreaterThanOrEqualTo(next);
                    assertThat(stage.path("layers").asInt()).as(at)
                            .isEqualTo(stage.path("lastLayer").asInt() - next + 1);
                    next = stage.path("lastLayer").asInt() + 1;
                    assertThat(stage.path("memoryGb").isNumber()).as(at).isTrue();
                    assertThat(stage.path("capacityGb").isNumber()).as(at).isTrue();
                    assertThat(stage.path("memoryGb").asDouble()).as(at).isPositive()
                            .isLessThanOrEqualTo(stage.path("capacityGb").asDouble());
                    assertThat(stage.path("parameters").asLong()).as(at).isPositive();
                    assertThat(stage.path("device").asString()).as(at).startsWith(dc + "-");
                }
                assertThat(next).as(replica.path("id").asString()).isEqualTo(40);
            }
        }
        assertThat(ids).containsExactly("bj", "gy", "sh");
        assertThat(batch).isEqualTo(192);
        // every device is placed in a replica and a stage; the strategy across datacenters stays in predicted
        assertThat(body.path("devices").size()).isEqualTo(24);
        for (JsonNode d : body.path("devices")) {
            assertThat(d.path("replica").asString()).startsWith(d.path("datacenter").asString() + "-r");
            assertThat(d.path("stage").isInt()).isTrue();
        }
        assertThat(body.path("predicted").path("strategy").asString()).isEqualTo("diloco");
        assertThat(body.path("predicted").path("h").asInt()).isGreaterThan(1);
        assertThat(body.path("predicted").path("bubbleFraction").asDouble()).isPositive();
    }

    @Test
    void aReplicaMixesChipsAndGivesTheSlowerH20FewerLayers() throws Exception {
        JsonNode body = ok(post("{" + MIXED + ", \"job\": {\"model\": " + SEVEN_B + ", \"globalBatch\": 32}}"));

        JsonNode layout = body.path("layouts").get(0);
        JsonNode mixed = null;
        for (JsonNode replica : layout.path("replicaPlans")) {
            List<String> chips = new ArrayList<>();
            replica.path("stages").forEach(s -> chips.add(s.path("chip").asString()));
            if (chips.contains("H20") && chips.contains("A100-80G")) {
                mixed = replica;
            }
        }
        assertThat(mixed).as("a replica with both chips in %s", layout).isNotNull();
        int h20Layers = Integer.MAX_VALUE;
        int fewestA100Layers = Integer.MAX_VALUE;
        for (JsonNode stage : mixed.path("stages")) {
            int layers = stage.path("layers").asInt();
            if (stage.path("chip").asString().equals("H20")) {
                h20Layers = Math.min(h20Layers, layers);
            } else {
                fewestA100Layers = Math.min(fewestA100Layers, layers);
            }
            assertThat(stage.path("memoryGb").asDouble()).isLessThanOrEqualTo(stage.path("capacityGb").asDouble());
        }
        // the H20 has more memory but less than half the A100's compute: it gets fewer blocks
        assertThat(h20Layers).isLessThan(fewestA100Layers);
        // neither chip holds 7B alone, and splitting the blocks evenly would be slower
        assertThat(layout.path("dataParallelOnly").path("feasible").asBoolean()).isFalse();
        assertThat(layout.path("dataParallelOnly").path("reason").asString()).contains("GB");
        JsonNode equal = layout.path("equalLayers");
        assertThat(equal.path("feasible").asBoolean()).isTrue();
        assertThat(equal.path("eta").asDouble()).isLessThan(layout.path("eta").asDouble());
        assertThat(body.path("predicted").path("strategy").asString()).isEqualTo("sync-dp");
    }

    @Test
    void stagesForceThePipelineDegree() throws Exception {
        JsonNode body = ok(post("{" + MIXED + ", \"job\": {\"model\": " + SEVEN_B
                + ", \"globalBatch\": 32, \"stages\": 2}}"));

        JsonNode layout = body.path("layouts").get(0);
        assertThat(layout.path("stages").asInt()).isEqualTo(2);
        assertThat(layout.path("replicas").asInt()).isEqualTo(2);
        assertThat(layout.path("replicaPlans").get(0).path("stages").size()).isEqualTo(2);
    }

    @Test
    void withoutAccumulationTheAlternativesObeyTheSameRuleAsTheChosenLayout() throws Exception {
        // the large demo model: a whole replica holds its batch at once, a pipeline runs micro-batches of one
        String cluster = "\"datacenters\": [{\"id\": \"bj\"}], \"devices\": [" + devices("bj", "A100-80G", 4)
                + "]";
        String model = "{\"layers\": 6, \"dModel\": 128, \"heads\": 4, \"seqLen\": 128, \"vocabSize\": 66}";
        JsonNode plan = ok(post("{" + cluster + ", \"job\": {\"model\": " + model + ", \"globalBatch\": 64, "
                + "\"allowGradientAccumulation\": false, \"memoryScale\": 6.2e-4}}"));

        JsonNode layout = plan.path("layouts").get(0);
        assertThat(layout.path("stages").asInt()).isEqualTo(2);
        // whole replicas would need 16 samples at once each: more than an A100 holds at this scale
        assertThat(layout.path("dataParallelOnly").path("feasible").asBoolean()).isFalse();
    }

    @Test
    void memoryScaleDecidesWhetherAWholeReplicaFits() throws Exception {
        String cluster = "\"datacenters\": [{\"id\": \"bj\"}], \"devices\": [" + devices("bj", "A100-80G", 2) + "]";
        String job = "\"model\": " + SEVEN_B + ", \"globalBatch\": 8, \"allowGradientAccumulation\": true";

        JsonNode real = ok(post("{" + cluster + ", \"job\": {" + job + "}}"));
        JsonNode doubled = ok(post("{" + cluster + ", \"job\": {" + job + ", \"memoryScale\": 2}}"));

        assertThat(real.path("memoryScale").asDouble()).isEqualTo(1.0);
        assertThat(real.path("layouts").get(0).path("stages").asInt()).isEqualTo(2);
        assertThat(doubled.path("memoryScale").asDouble()).isEqualTo(2.0);
        assertThat(doubled.path("layouts").get(0).path("stages").asInt()).isEqualTo(1);
        assertThat(doubled.path("layouts").get(0).path("dataParallelOnly").path("feasible").asBoolean()).isTrue();
        assertThat(doubled.path("assumptions").toString()).contains("memory scale 2");
        // a whole replica is one stage of every block, its memory is its cap
        JsonNode whole = doubled.path("layouts").get(0).path("replicaPlans").get(0).path("stages");
        assertThat(whole.size()).isEqualTo(1);
        assertThat(whole.get(0).path("firstLayer").asInt()).isZero();
        assertThat(whole.get(0).path("lastLayer").asInt()).isEqualTo(31);
        assertThat(whole.get(0).has("memoryGb")).isFalse();
    }

    @Test
    void theModelByPresetOrBySizeWithLayers() throws Exception {
        JsonNode preset = ok(post("{" + MIXED + ", \"job\": {\"model\": \" 7B \", \"globalBatch\": 32}}"));
        JsonNode shape = ok(post("{" + MIXED + ", \"job\": {\"model\": " + SEVEN_B + ", \"globalBatch\": 32}}"));
        assertThat(preset.path("model")).isEqualTo(shape.path("model"));
        assertThat(preset.path("predicted")).isEqualTo(shape.path("predicted"));
        assertThat(preset.path("assumptions").toString()).contains("model preset 7b: 32 layers, dModel 4096");

        JsonNode small = ok(post("{" + MIXED + ", \"job\": {\"model\": \"small\", \"globalBatch\": 32}}"));
        assertThat(small.path("model").path("layers").asInt()).isEqualTo(2);
        assertThat(small.path("assumptions").toString()).contains("vocabulary 66 (the bundled corpus's)");

        JsonNode bySize = ok(post("{" + MIXED + ", \"job\": {\"parametersM\": 13000, \"layers\": 40, "
                + "\"tokensPerSample\": 4096, \"globalBatch\": 32}}"));
        assertThat(bySize.path("model").path("layers").asInt()).isEqualTo(40);
        assertThat(bySize.path("model").path("parameters").asLong()).isEqualTo(13_000_000_000L);
        assertThat(bySize.path("layouts").get(0).path("stages").asInt()).isGreaterThan(1);
        JsonNode assumed = ok(post("{" + MIXED + ", \"job\": {\"parametersM\": 13000, \"tokensPerSample\": 4096, "
                + "\"globalBatch\": 32}}"));
        assertThat(assumed.path("assumptions").toString()).contains("assumed blocks");
    }

    @Test
    void autoAcrossDatacentersWithoutLinksTakesDilocoWithTheDefaultH() throws Exception {
        JsonNode body = ok(post("""
                {"datacenters": [{"id": "a"}, {"id": "b"}],
                 "devices": [{"id": "x", "datacenter": "a", "chip": "H20"},
                             {"id": "y", "datacenter": "b", "chip": "H20"}],
                 "job": {"parametersM": 125, "tokensPerSample": 1024, "globalBatch": 64}}
                """));
        assertThat(body.path("predicted").path("strategy").asString()).isEqualTo("diloco");
        assertThat(body.path("predicted").path("h").asInt()).isEqualTo(50);
        assertThat(body.path("assumptions").toString()).contains("no WAN links were given", "default H = 50");
    }

    // ---------------------------------------------------------------- validation of the new fields

    private static String oneDevice(String job) {
        return "{\"datacenters\": [{\"id\": \"a\"}], \"devices\": [{\"id\": \"x\", \"datacenter\": \"a\", "
                + "\"chip\": \"H20\"}], \"job\": " + job + "}";
    }

    private void rejected(int status, String job, String field, String message) {
        assertThat(post(oneDevice(job))).as(job).hasStatus(status)
                .hasContentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON).bodyJson()
                .hasPathSatisfying("$.field", v -> v.assertThat().as(job).isEqualTo(field))
                .hasPathSatisfying("$.errors[0].message", v -> v.assertThat().asString().as(job).contains(message));
    }

    @Test
    void memoryScaleMustBePositiveAndAtMostAThousand() {
        // 1e309 reads as infinity
        for (String scale : List.of("0", "-1", "1001", "1e309", "\"big\"")) {
            rejected(400, "{\"model\": \"tiny\", \"globalBatch\": 8, \"memoryScale\": " + scale + "}",
                    "job.memoryScale", scale.contains("big") ? "wrong type" : "positive");
        }
    }

    @Test
    void stagesMustBeAWholeNumberFromOneToTheModelsLayers() {
        rejected(400, "{\"model\": \"tiny\", \"globalBatch\": 8, \"stages\": 0}", "job.stages", "at least 1");
        rejected(400, "{\"model\": \"tiny\", \"globalBatch\": 8, \"stages\": 3}", "job.stages",
                "at most the model's 2 layers");
        rejected(400, "{\"model\": \"tiny\", \"globalBatch\": 8, \"stages\": 1.5}", "job.stages", "wrong type");
    }

    @Test
    void layersGoWithParametersMOnly() {
        rejected(400, "{\"parametersM\": 100, \"tokensPerSample\": 64, \"layers\": 0, \"globalBatch\": 8}",
                "job.layers", "between 1 and 1000");
        rejected(400, "{\"parametersM\": 100, \"tokensPerSample\": 64, \"layers\": 1001, \"globalBatch\": 8}",
                "job.layers", "between 1 and 1000");
        rejected(400, "{\"model\": \"7b\", \"layers\": 40, \"globalBatch\": 8}", "job.layers",
                "only goes with job.parametersM");
    }

    @Test
    void anUnknownPresetIs422LikeAnUnknownChipAndABlankOrMistypedModel400() {
        rejected(422, "{\"model\": \"13x\", \"globalBatch\": 8}", "job.model", "unknown model preset '13x'");
        assertThat(post(oneDevice("{\"model\": \"13x\", \"globalBatch\": 8}"))).bodyJson()
                .hasPathSatisfying("$.errors[0].message", v -> v.assertThat().asString()
                        .contains("7b, 13b, 34b, 70b, tiny, small, medium, large"));
        rejected(400, "{\"model\": \" \", \"globalBatch\": 8}", "job.model", "preset name");
        rejected(400, "{\"model\": 13, \"globalBatch\": 8}", "job.model", "wrong type");
        rejected(400, "{\"model\": [\"13b\"], \"globalBatch\": 8}", "job.model", "wrong type");
        rejected(400, "{\"model\": {\"layers\": 2, \"dModel\": 8, \"heads\": 1, \"seqLen\": 8, \"vocabSize\": 8, "
                + "\"preset\": \"7b\"}, \"globalBatch\": 8}", "job.model.preset", "unknown field");
    }

    @Test
    void theModelIsGivenExactlyOneWayWhateverTheForm() {
        rejected(400, "{\"model\": \"7b\", \"parametersM\": 7000, \"tokensPerSample\": 4096, \"globalBatch\": 8}",
                "job.parametersM", "not both");
        rejected(400, "{\"model\": \"7b\", \"tokensPerSample\": 4096, \"globalBatch\": 8}", "job.tokensPerSample",
                "only goes with job.parametersM");
        rejected(400, "{\"globalBatch\": 8, \"stages\": 2}", "job.model", "preset name or a shape");
    }

    @Test
    void everyNewFieldAtFaultIsNamedAtOnceAndMalformedOnesComeBeforeA422() {
        assertThat(post(oneDevice("{\"model\": \"huge\", \"layers\": 3, \"globalBatch\": 8, "
                + "\"memoryScale\": -2, \"stages\": 0}"))).hasStatus(400).bodyJson()
                .hasPathSatisfying("$.errors[*].field", v -> v.assertThat().asList().containsExactlyInAnyOrder(
                        "job.layers", "job.memoryScale", "job.stages", "job.model"));
    }
}
