package io.crosstrain.web;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.filter.OncePerRequestFilter;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.auth.CallerTokens;
import io.crosstrain.auth.InvalidCallerTokenException;

/**
 * Every {@code /api/**} request of a service must carry {@code Authorization: Bearer <caller token>}, signed by the
 * gateway for an authenticated user or by a service of the stack for itself; anything else is 401. Health, metrics
 * and the OpenAPI document stay open. The verified caller is a request attribute ({@link #CALLER}) that controllers
 * take as a {@link CallerScope} argument.
 */
public final class CallerTokenFilter extends OncePerRequestFilter {

    public static final String CALLER = CallerScope.class.getName();
    private static final String BEARER = "Bearer ";

    private final CallerTokens tokens;

    public CallerTokenFilter(CallerTokens tokens) {
        this.tokens = tokens;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return !(path.equals("/api") || path.startsWith("/api/"));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        String detail;
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            detail = "this service answers only calls that carry a caller token (Authorization: Bearer), as the "
                    + "gateway and the services of the stack send; call it through the gateway";
        } else {
            try {
                request.setAttribute(CALLER, tokens.verify(header.substring(BEARER.length())));
                chain.doFilter(request, response);
                return;
            } catch (InvalidCallerTokenException e) {
                detail = e.getMessage();
            }
        }
        response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"crosstrain-services\"");
        FilterProblems.write(response, HttpStatus.UNAUTHORIZED.value(), "Unauthorized", detail, "Authorization");
    }

    /** The caller of the current request; present on every {@code /api/**} request this filter let through. */
    public static CallerScope callerOf(HttpServletRequest request) {
        Object caller = request.getAttribute(CALLER);
        if (caller instanceof CallerScope scope) {
            return scope;
        }
        throw new IllegalStateException("no verified caller on " + request.getRequestURI());
    }
}
