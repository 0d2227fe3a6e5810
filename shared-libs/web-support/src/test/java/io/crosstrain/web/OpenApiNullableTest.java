package io.crosstrain.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;

class OpenApiNullableTest {

    @Test
    @SuppressWarnings({"rawtypes", "unchecked"})
    void everyPropertyThatIsNotRequiredMayBeNullAtAnyDepth() {
        Schema stage = new ObjectSchema();
        stage.setProperties(new java.util.LinkedHashMap<>(Map.of("firstLayer",
                new Schema<>().types(new java.util.LinkedHashSet<>(List.of("integer"))))));
        Schema report = new ObjectSchema();
        Map<String, Schema> properties = new java.util.LinkedHashMap<>();
        properties.put("id", new StringSchema());
        properties.put("name", new StringSchema());
        properties.put("state", new StringSchema()._enum(List.of("RUNNING", "FAILED")));
        properties.put("spec", new Schema<>().$ref("#/components/schemas/JobSpec"));
        properties.put("stages", new ArraySchema().items(stage));
        report.setProperties(properties);
        report.setRequired(List.of("id"));

        OpenApiDocs.nullableProperties(report);

        Map<String, Schema> p = report.getProperties();
        assertThat(p.get("id").getTypes() == null || !p.get("id").getTypes().contains("null")).as("required").isTrue();
        assertThat(p.get("name").getTypes()).isEqualTo(Set.of("string", "null"));
        assertThat(p.get("state").getEnum()).containsExactly("RUNNING", "FAILED", null);
        assertThat(((Schema<?>) p.get("spec").getAnyOf().get(0)).get$ref()).isEqualTo("#/components/schemas/JobSpec");
        assertThat(((Schema<?>) p.get("spec").getAnyOf().get(1)).getTypes()).containsExactly("null");
        Schema first = (Schema) ((Schema) p.get("stages").getItems()).getProperties().get("firstLayer");
        assertThat(first.getTypes()).containsExactlyInAnyOrder("integer", "null");
    }
}
