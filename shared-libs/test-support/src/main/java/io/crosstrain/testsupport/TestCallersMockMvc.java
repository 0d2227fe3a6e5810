package io.crosstrain.testsupport;

import org.springframework.boot.webmvc.test.autoconfigure.MockMvcBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.servlet.request.MockMvcRequestBuilders;

/**
 * MockMvc requests that name no caller go as an admin of tenant {@code default}, with a fresh token each; a test
 * about callers sets its own {@code Authorization} header ({@link TestCallers#bearer}).
 */
@Configuration(proxyBeanMethods = false) // listed for @AutoConfigureMockMvc only, so MockMvc is present
public class TestCallersMockMvc {

    @Bean
    MockMvcBuilderCustomizer crosstrainTestCaller() {
        return builder -> builder.defaultRequest(MockMvcRequestBuilders.get("/").with(request -> {
            if (request.getHeader(HttpHeaders.AUTHORIZATION) == null) {
                request.addHeader(HttpHeaders.AUTHORIZATION, TestCallers.bearer(TestCallers.admin()));
            }
            return request;
        }));
    }
}
