package io.crosstrain.gateway.security;

import java.io.IOException;
import java.time.Duration;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.filter.OncePerRequestFilter;

import io.crosstrain.auth.CallerScope;

/** One Resilience4j rate limiter per authenticated caller; a request over the limit is answered 429 at once. */
final class RateLimitFilter extends OncePerRequestFilter {

    private final RateLimiterRegistry limiters;
    private final Problems problems;
    private final Duration period;

    RateLimitFilter(SecurityProperties.RateLimit limit, Problems problems) {
        this.period = limit.period();
        this.limiters = RateLimiterRegistry.of(RateLimiterConfig.custom()
                .limitForPeriod(limit.requests())
                .limitRefreshPeriod(limit.period())
                .timeoutDuration(Duration.ZERO)
                .build());
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        CallerScope caller = CallerAuthentication.current();
        if (caller != null) {
            RateLimiter limiter = limiters.rateLimiter(caller.principal());
            if (!limiter.acquirePermission()) {
                problems.tooManyRequests(request, response, (period.toMillis() + 999) / 1000);
                return;
            }
        }
        chain.doFilter(request, response);
    }
}
