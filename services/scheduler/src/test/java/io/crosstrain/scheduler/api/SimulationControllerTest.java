package io.crosstrain.scheduler.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.assertj.MockMvcTester;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

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
}
