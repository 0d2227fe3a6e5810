package io.crosstrain.web;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.context.annotation.Bean;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;

/**
 * The header of every service's OpenAPI document ({@code /v3/api-docs}, by springdoc): which service it is and under
 * which terms. Paths, schemas and the problem+json error responses come from the controllers and
 * {@link ProblemHandler}.
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = Type.SERVLET)
@ConditionalOnClass(OpenAPI.class)
public class OpenApiDocs {

    @Bean
    @ConditionalOnMissingBean
    OpenAPI crosstrainOpenApi(@Value("${spring.application.name:crosstrain}") String service) {
        return new OpenAPI().info(new Info()
                .title("CrossTrain " + service)
                .version("v1")
                .description("The REST API of CrossTrain's " + service + " service. Errors are RFC 9457 "
                        + "problem+json documents that name the field at fault.")
                .license(new License().name("Proprietary")));
    }
}
