package io.crosstrain.web;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.boot.webmvc.autoconfigure.WebMvcAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * Registers {@link ProblemHandler} in every servlet service. It runs before Boot's MVC auto-configuration so that
 * Boot's own problem-details handler (conditional on no other {@code ResponseEntityExceptionHandler}) backs off.
 * Also listed for the {@code @WebMvcTest} slice, which does not component-scan this package. Bounds JSON bodies
 * ({@link BodySizeLimit}, {@code crosstrain.web.max-body-bytes}, 1 MiB by default), and refuses control characters
 * in JSON strings ({@link ControlCharacterModule}, which Boot adds to its JSON mapper), parameters and path variables
 * ({@link ControlCharacterParameters}).
 */
@AutoConfiguration(before = WebMvcAutoConfiguration.class)
@ConditionalOnWebApplication(type = Type.SERVLET)
@Import(ProblemHandler.class)
public class WebSupportAutoConfiguration {

    @org.springframework.context.annotation.Bean
    org.springframework.boot.web.servlet.FilterRegistrationBean<BodySizeLimit> crosstrainBodySizeLimit(
            @org.springframework.beans.factory.annotation.Value("${crosstrain.web.max-body-bytes:1048576}") long max) {
        var registration = new org.springframework.boot.web.servlet.FilterRegistrationBean<>(new BodySizeLimit(max));
        registration.setOrder(org.springframework.core.Ordered.HIGHEST_PRECEDENCE + 10);
        return registration;
    }

    @org.springframework.context.annotation.Bean
    ControlCharacterModule crosstrainControlCharacters() {
        return new ControlCharacterModule();
    }

    @org.springframework.context.annotation.Bean
    org.springframework.web.servlet.config.annotation.WebMvcConfigurer crosstrainControlCharacterParameters() {
        return new org.springframework.web.servlet.config.annotation.WebMvcConfigurer() {
            @Override
            public void addInterceptors(org.springframework.web.servlet.config.annotation.InterceptorRegistry r) {
                r.addInterceptor(new ControlCharacterParameters());
            }
        };
    }
}
