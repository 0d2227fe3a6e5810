package io.crosstrain.web;

import org.springframework.http.HttpHeaders;
import org.springframework.http.client.ClientHttpRequestInterceptor;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.auth.CallerTokens;

/** This service's own identity on the calls it makes to other services: a fresh caller token on every request. */
public final class ServiceCalls {

    private final CallerTokens tokens;
    private final CallerScope self;

    public ServiceCalls(CallerTokens tokens, CallerScope self) {
        this.tokens = tokens;
        this.self = self;
    }

    public CallerScope self() {
        return self;
    }

    /** A fresh caller token of this service (for a Kafka record header, say). */
    public String token() {
        return tokens.sign(self);
    }

    /** For a {@code RestClient}: signs each request as this service. */
    public ClientHttpRequestInterceptor interceptor() {
        return (request, body, execution) -> {
            request.getHeaders().set(HttpHeaders.AUTHORIZATION, "Bearer " + tokens.sign(self));
            return execution.execute(request, body);
        };
    }
}
