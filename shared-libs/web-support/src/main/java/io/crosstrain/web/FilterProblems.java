package io.crosstrain.web;

import java.io.IOException;

import jakarta.servlet.http.HttpServletResponse;

/** A problem+json answer written by a servlet filter, before Spring MVC (and ProblemHandler) sees the request. */
final class FilterProblems {

    private FilterProblems() {
    }

    static void write(HttpServletResponse response, int status, String title, String detail, String field)
            throws IOException {
        response.setStatus(status);
        response.setContentType("application/problem+json");
        response.setCharacterEncoding("UTF-8");
        response.getWriter().write("{\"type\":\"about:blank\",\"title\":\"" + title + "\",\"status\":" + status
                + ",\"detail\":\"" + detail.replace("\\", "\\\\").replace("\"", "\\\"") + "\",\"field\":\"" + field
                + "\"}");
    }
}
