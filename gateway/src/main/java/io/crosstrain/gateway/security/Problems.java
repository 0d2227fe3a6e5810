package io.crosstrain.gateway.security;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.access.AccessDeniedHandler;

import tools.jackson.databind.json.JsonMapper;

/** 401, 403 and 429 as RFC 9457 problem+json, like every other error CrossTrain answers. */
final class Problems implements AuthenticationEntryPoint, AccessDeniedHandler {

    private final JsonMapper mapper;

    Problems(JsonMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
            throws IOException {
        boolean sent = request.getHeader("Authorization") != null;
        response.setHeader("WWW-Authenticate", sent ? "Bearer error=\"invalid_token\"" : "Bearer");
        write(request, response, HttpStatus.UNAUTHORIZED, sent
                ? "the bearer token is not a valid API key or JWT"
                : "send 'Authorization: Bearer <API key or JWT>'", "Authorization");
    }

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
            throws IOException {
        write(request, response, HttpStatus.FORBIDDEN, "this needs the admin role", null);
    }

    void tooManyRequests(HttpServletRequest request, HttpServletResponse response, long retryAfterSeconds)
            throws IOException {
        response.setHeader("Retry-After", Long.toString(Math.max(1, retryAfterSeconds)));
        write(request, response, HttpStatus.TOO_MANY_REQUESTS, "rate limit of this key exceeded; retry after "
                + Math.max(1, retryAfterSeconds) + " s", null);
    }

    private void write(HttpServletRequest request, HttpServletResponse response, HttpStatus status, String detail,
                       String field) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", status.getReasonPhrase());
        body.put("status", status.value());
        body.put("detail", detail);
        body.put("instance", request.getRequestURI());
        if (field != null) {
            body.put("field", field);
        }
        response.setStatus(status.value());
        response.setContentType("application/problem+json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write(mapper.writeValueAsString(body));
    }
}
