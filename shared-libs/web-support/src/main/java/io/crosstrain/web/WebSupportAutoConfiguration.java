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
 * ({@link ControlCharacterParameters}). Verifies caller tokens on {@code /api/**} ({@link CallerTokenFilter}) and signs
 * this service's own calls ({@link ServiceCalls}); without service keys the service does not start.
 */
@AutoConfiguration(before = WebMvcAutoConfiguration.class)
@ConditionalOnWebApplication(type = Type.SERVLET)
@Import(ProblemHandler.class)
@org.springframework.boot.context.properties.EnableConfigurationProperties(ServiceAuthProperties.class)
public class WebSupportAutoConfiguration {

    static {
        // the caller comes from the verified token, not from the client: keep it out of the OpenAPI documents
        org.springdoc.core.utils.SpringDocUtils.getConfig().addRequestWrapperToIgnore(
                io.crosstrain.auth.CallerScope.class);
    }

    @org.springframework.context.annotation.Bean
    io.crosstrain.auth.CallerTokens crosstrainCallerTokens(ServiceAuthProperties props) {
        return props.tokens();
    }

    @org.springframework.context.annotation.Bean
    ServiceCalls crosstrainServiceCalls(io.crosstrain.auth.CallerTokens tokens,
            @org.springframework.beans.factory.annotation.Value(
                    "${crosstrain.service-auth.identity:${spring.application.name:service}}") String identity) {
        return new ServiceCalls(tokens, io.crosstrain.auth.CallerScope.service(identity));
    }

    @org.springframework.context.annotation.Bean
    @org.springframework.boot.autoconfigure.condition.ConditionalOnProperty(name = "crosstrain.service-auth.verify",
            havingValue = "true", matchIfMissing = true)
    org.springframework.boot.web.servlet.FilterRegistrationBean<CallerTokenFilter> crosstrainCallerTokenFilter(
            io.crosstrain.auth.CallerTokens tokens) {
        var registration = new org.springframework.boot.web.servlet.FilterRegistrationBean<>(
                new CallerTokenFilter(tokens));
        registration.setOrder(org.springframework.core.Ordered.HIGHEST_PRECEDENCE + 5);
        return registration;
    }

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

            @Override
            public void addArgumentResolvers(
                    java.util.List<org.springframework.web.method.support.HandlerMethodArgumentResolver> resolvers) {
                resolvers.add(new CallerScopeResolver());
            }
        };
    }
}
