package io.crosstrain.jobapi.api;

import java.util.List;

import org.springdoc.core.utils.SpringDocUtils;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

import io.crosstrain.jobapi.domain.Caller;

@Configuration(proxyBeanMethods = false)
class ApiWebConfig implements WebMvcConfigurer {

    static {
        // the caller comes from gateway headers, not from the client: keep it out of the OpenAPI document
        SpringDocUtils.getConfig().addRequestWrapperToIgnore(Caller.class);
    }

    @Override
    public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
        resolvers.add(new CallerResolver());
    }
}
