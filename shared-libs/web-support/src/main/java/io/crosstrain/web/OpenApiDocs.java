package io.crosstrain.web;

import java.util.List;
import java.util.Map;

import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.context.annotation.Bean;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;

/**
 * The header of every service's OpenAPI document ({@code /v3/api-docs}, by springdoc): which service it is, that
 * every call goes through the gateway with a bearer credential, and the problem+json answers every operation can
 * give. Paths and schemas come from the controllers.
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = Type.SERVLET)
@ConditionalOnClass(OpenAPI.class)
public class OpenApiDocs {

    static final String BEARER = "bearer";
    static final String PROBLEM = "Problem";

    @Bean
    @ConditionalOnMissingBean
    OpenAPI crosstrainOpenApi(@Value("${spring.application.name:crosstrain}") String service) {
        return new OpenAPI()
                .info(new Info()
                        .title("CrossTrain " + service)
                        .version("v1")
                        .description("The REST API of CrossTrain's " + service + " service, reached through the "
                                + "gateway. Errors are RFC 9457 problem+json documents that name the field at fault.")
                        .license(new License().name("Proprietary").identifier("LicenseRef-CrossTrain-Proprietary")))
                // relative: the document is served by the gateway (or the service itself) that answers these paths
                .servers(List.of(new Server().url("/").description("where this document was fetched from")))
                .components(new Components()
                        .addSecuritySchemes(BEARER, new SecurityScheme().type(SecurityScheme.Type.HTTP)
                                .scheme("bearer")
                                .description("An API key (ctk_...) or an HS256 JWT with tenant and role claims; "
                                        + "the gateway checks it"))
                )
                .addSecurityItem(new SecurityRequirement().addList(BEARER));
    }

    /** The 4xx answers ProblemHandler and the gateway give, on every operation that does not list its own. */
    @Bean
    OpenApiCustomizer crosstrainProblemResponses() {
        return api -> {
            if (api.getPaths() == null) {
                return;
            }
            // here, not in the OpenAPI bean: springdoc replaces the schemas with the ones it scanned
            if (api.getComponents() == null) {
                api.setComponents(new Components());
            }
            api.getComponents().addSchemas(PROBLEM, problemSchema());
            api.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, operation) -> {
                ApiResponses responses = operation.getResponses() == null ? new ApiResponses()
                        : operation.getResponses();
                add(responses, "400", "The request is invalid; the problem names the field at fault");
                add(responses, "401", "No credential, or one the gateway does not know");
                if (method != PathItem.HttpMethod.GET) {
                    add(responses, "403", "The credential's role may not do this");
                }
                if (path.contains("{")) {
                    add(responses, "404", "No such resource, or it belongs to another tenant");
                }
                add(responses, "429", "The credential's rate limit is used up; see Retry-After");
                operation.setResponses(responses);
            }));
        };
    }

    /**
     * Our records leave out nothing: a field without a value is written as {@code null}. The document says so for
     * every property a schema does not list as required (a type gains "null", an enum the null value, a reference
     * becomes "that or null"), so a response is never outside its own schema.
     */
    @Bean
    OpenApiCustomizer crosstrainNullableProperties() {
        return api -> {
            if (api.getComponents() != null && api.getComponents().getSchemas() != null) {
                api.getComponents().getSchemas().values().forEach(OpenApiDocs::nullableProperties);
            }
        };
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    static void nullableProperties(Schema<?> schema) {
        if (schema == null) {
            return;
        }
        if (schema.getProperties() != null) {
            java.util.List<String> required = schema.getRequired() == null ? java.util.List.of() : schema.getRequired();
            for (Map.Entry<String, Schema> e : schema.getProperties().entrySet()) {
                Schema property = e.getValue();
                nullableProperties(property);
                if (!required.contains(e.getKey())) {
                    e.setValue(orNull(property));
                }
            }
        }
        if (schema.getItems() != null) {
            nullableProperties(schema.getItems());
        }
        if (schema.getAdditionalProperties() instanceof Schema<?> values) {
            nullableProperties(values);
        }
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private static Schema orNull(Schema property) {
        if (property.get$ref() != null) {
            return new Schema<>().anyOf(java.util.List.of(new Schema<>().$ref(property.get$ref()),
                    new Schema<>().types(new java.util.LinkedHashSet<>(java.util.List.of("null")))));
        }
        java.util.Set<String> types = new java.util.LinkedHashSet<>();
        if (property.getTypes() != null) {
            types.addAll(property.getTypes());
        } else if (property.getType() != null) {
            types.add(property.getType());
        }
        if (types.isEmpty()) {
            return property; // no type: anything, null included
        }
        types.add("null");
        property.setTypes(types);
        if (property.getEnum() != null) {
            java.util.List<Object> values = new java.util.ArrayList<>(property.getEnum()); // List.of refuses null
            if (!values.contains(null)) {
                values.add(null);
                property.setEnum(values);
            }
        }
        return property;
    }

    private static void add(ApiResponses responses, String status, String description) {
        if (responses.containsKey(status)) {
            return;
        }
        responses.addApiResponse(status, new ApiResponse().description(description).content(new Content()
                .addMediaType("application/problem+json", new MediaType()
                        .schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM)))));
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private static Schema<?> problemSchema() {
        ObjectSchema fieldError = new ObjectSchema();
        fieldError.setProperties(new java.util.LinkedHashMap<>(Map.of(
                "field", new StringSchema().description("the field at fault, e.g. sync.h or devices[2]"),
                "message", new StringSchema())));
        ObjectSchema problem = new ObjectSchema();
        problem.description("RFC 9457 problem details");
        java.util.Map<String, Schema> properties = new java.util.LinkedHashMap<>();
        properties.put("type", new StringSchema().example("about:blank"));
        properties.put("title", new StringSchema());
        properties.put("status", new IntegerSchema());
        properties.put("detail", new StringSchema());
        properties.put("instance", new StringSchema());
        properties.put("field", new StringSchema().description("the first field at fault"));
        properties.put("errors", new ArraySchema().items(fieldError));
        problem.setProperties(properties);
        return problem;
    }
}
