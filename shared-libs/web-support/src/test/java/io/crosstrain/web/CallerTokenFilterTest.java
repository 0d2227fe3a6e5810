package io.crosstrain.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.auth.CallerTokens;
import io.crosstrain.auth.ServiceKeys;

class CallerTokenFilterTest {

    static final ServiceKeys KEYS = ServiceKeys.of("k1:" + "s".repeat(40));
    static final CallerScope ACME = new CallerScope("key:1", "acme", CallerScope.Role.USER);
    final CallerTokenFilter filter = new CallerTokenFilter(new CallerTokens(KEYS));

    record Outcome(MockHttpServletResponse response, MockFilterChain chain, MockHttpServletRequest request) {
        boolean passed() {
            return chain.getRequest() != null;
        }
    }

    Outcome call(String path, String authorization) throws Exception {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", path);
        if (authorization != null) {
            request.addHeader("Authorization", authorization);
        }
        MockHttpServletResponse response = new MockHttpServletResponse();
        MockFilterChain chain = new MockFilterChain();
        filter.doFilter(request, response, chain);
        return new Outcome(response, chain, request);
    }

    @Test
    void anApiCallWithoutAValidCallerTokenIsRefusedWith401NamingTheHeader() throws Exception {
        String expired = new CallerTokens(KEYS, Clock.fixed(Instant.now().minusSeconds(3600), ZoneOffset.UTC),
                Duration.ofSeconds(60)).sign(ACME);
        String otherKey = new CallerTokens(ServiceKeys.of("k1:" + "x".repeat(40))).sign(ACME);
        for (String authorization : new String[] {null, "", "Bearer", "Bearer ctk_an-api-key", "Basic dTpw",
                "Bearer " + expired, "Bearer " + otherKey}) {
            Outcome o = call("/api/v1/jobs", authorization);
            assertThat(o.passed()).as(authorization).isFalse();
            assertThat(o.response().getStatus()).as(authorization).isEqualTo(401);
            assertThat(o.response().getContentType()).startsWith("application/problem+json");
            assertThat(o.response().getContentAsString()).contains("\"field\":\"Authorization\"");
            assertThat(o.response().getHeader("WWW-Authenticate")).startsWith("Bearer");
        }
    }

    @Test
    void aValidTokenLetsTheCallThroughWithItsCaller() throws Exception {
        Outcome o = call("/api/v1/jobs/42", "Bearer " + new CallerTokens(KEYS).sign(ACME));
        assertThat(o.passed()).isTrue();
        assertThat(CallerTokenFilter.callerOf(o.request())).isEqualTo(ACME);
    }

    @Test
    void healthAndTheOpenApiDocumentStayOpen() throws Exception {
        for (String path : new String[] {"/actuator/health", "/v3/api-docs", "/apifoo"}) {
            assertThat(call(path, null).passed()).as(path).isTrue();
        }
    }
}
