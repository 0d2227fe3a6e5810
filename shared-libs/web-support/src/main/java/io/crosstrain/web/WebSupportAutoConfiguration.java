package io.crosstrain.web;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * Registers {@link ProblemHandler} in every servlet service. It runs before Boot's MVC auto-configuration so that
 * Boot's own problem-details handler (conditional on no other {@code ResponseEntityExceptionHandler}) backs off.
 * Also listed for the {@code @WebMvcTest} slice, which does not component-scan this package.
 */
@AutoConfiguration(before = WebMvcAutoConfiguration.class)
@ConditionalOnWebApplication(type = Type.SERVLET)
@Import(ProblemHandler.class)
public class WebSupportAutoConfiguration {
}
