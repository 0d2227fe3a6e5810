package io.crosstrain.web;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Refuses JSON bodies above a limit with 413 before anything reads them: every JSON document CrossTrain accepts is
 * small (a job spec, an inventory entry), so a large one is a mistake or an attack. Uploads (multipart) have their
 * own limit.
 */
public final class BodySizeLimit extends OncePerRequestFilter {

    private final long maxBytes;

    public BodySizeLimit(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String type = request.getContentType();
        boolean multipart = type != null && type.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/");
        if (!multipart && request.getContentLengthLong() > maxBytes) {
            FilterProblems.write(response, HttpStatus.CONTENT_TOO_LARGE.value(), "Content Too Large",
                    "request bodies are limited to " + maxBytes + " bytes", "body");
            return;
        }
        chain.doFilter(request, response);
    }
}
