package io.crosstrain.scheduler.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.springdoc.core.configuration.SpringDocConfiguration;
import org.springdoc.core.properties.SpringDocConfigProperties;
import org.springdoc.webmvc.core.configuration.SpringDocWebMvcConfiguration;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.web.servlet.assertj.MockMvcTester;

import io.crosstrain.web.OpenApiDocs;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The scheduler's OpenAPI document (springdoc, as the gateway serves it) as far as simulate goes: it describes the
 * request and the answer, including the model given three ways, the memory scale, forced stages and the layouts,
 * and every schema it defines is used (Redocly's recommended rules, which the end-to-end test lints with, warn on
 * unused components). The document is kept in {@code target/} for {@code redocly lint}.
 */
@WebMvcTest(SimulationController.class)
@Import(SimulationControllerTest.OnePlanner.class)
@ImportAutoConfiguration({SpringDocConfiguration.class, SpringDocConfigProperties.class,
        SpringDocWebMvcConfiguration.class, OpenApiDocs.class})
class SimulationOpenApiTest {

    @Autowired
    MockMvcTester mvc;

    @Autowired
    JsonMapper json;

    @Test
    void describesTheRequestTheAnswerAndUsesEverySchemaItDefines() throws Exception {
        String body = mvc.get().uri("/v3/api-docs").exchange().getResponse().getContentAsString();
        Files.createDirectories(Path.of("target"));
        Files.writeString(Path.of("target", "simulate-openapi.json"), body);
        JsonNode doc = json.readTree(body);

        JsonNode op = doc.path("paths").path("/api/v1/plans/simulate").path("post");
        assertThat(op.path("summary").asString()).isNotBlank();
        assertThat(op.path("description").asString()).contains("13b", "memoryScale", "stages");
        assertThat(op.path("requestBody").path("content").path("application/json").path("schema").path("$ref")
                .asString()).isEqualTo("#/components/schemas/SimulationRequest");
        assertThat(op.path("responses").path("422").isMissingNode()).isFalse();

        JsonNode schemas = doc.path("components").path("schemas");
        JsonNode job = schemas.path("JobBody").path("properties");
        assertThat(job.propertyNames()).contains("model", "parametersM", "layers", "tokensPerSample", "memoryScale",
                "stages");
        assertThat(job.path("memoryScale").path("description").asString()).contains("memory");
        assertThat(job.path("stages").path("minimum").asInt()).isEqualTo(1);
        JsonNode model = schemas.path("SimulationModel");
        assertThat(model.path("oneOf").toString()).contains("string", "#/components/schemas/ModelBody");
        assertThat(model.path("properties").isMissingNode()).as("no properties besides the oneOf: %s", model)
                .isTrue();
        assertThat(schemas.path("SimulationResponse").path("properties").propertyNames()).contains("layouts",
                "model", "memoryScale");
        assertThat(schemas.path("LayoutView").path("properties").propertyNames()).contains("stages", "replicas",
                "maxMicroBatch", "replicaPlans", "bubbleFraction", "eta", "equalLayers", "dataParallelOnly");
        assertThat(schemas.path("StageView").path("properties").propertyNames()).contains("firstLayer",
                "lastLayer", "parameters", "memoryGb", "capacityGb");

        Set<String> referenced = new HashSet<>();
        Matcher m = Pattern.compile("#/components/schemas/([A-Za-z0-9_.-]+)").matcher(body);
        while (m.find()) {
            referenced.add(m.group(1));
        }
        assertThat(referenced).as("every schema is referenced").containsAll(schemas.propertyNames());
    }

    @Test
    void thePresetNamesTheDocumentListsAreThoseAccepted() {
        assertThat(ModelPresets.NAMES).isEqualTo(String.join(", ", ModelPresets.ALL.keySet()));
        assertThat(ModelPresets.ALL.keySet()).containsAll(io.crosstrain.contracts.ModelSpec.PRESETS.keySet());
    }
}
