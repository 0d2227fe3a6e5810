package io.crosstrain.web;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Query and form parameters and path variables with a control character are refused with a 400 naming each of them
 * (tab and line breaks included: none of ours is free text), before any controller sees them.
 */
final class ControlCharacterParameters implements HandlerInterceptor {

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        List<FieldError> errors = new ArrayList<>();
        request.getParameterMap().forEach((name, values) -> {
            String bad = TextInput.firstControlCharacter(name, false);
            for (int i = 0; bad == null && values != null && i < values.length; i++) {
                bad = TextInput.firstControlCharacter(values[i], false);
            }
            if (bad != null) {
                errors.add(new FieldError(printable(name), TextInput.problem(bad)));
            }
        });
        if (request.getAttribute(HandlerMapping.URI_TEMPLATE_VARIABLES_ATTRIBUTE) instanceof Map<?, ?> variables) {
            variables.forEach((name, value) -> {
                String bad = value == null ? null : TextInput.firstControlCharacter(value.toString(), false);
                if (bad != null) {
                    errors.add(new FieldError(name.toString(), TextInput.problem(bad)));
                }
            });
        }
        if (!errors.isEmpty()) {
            throw RequestRejectedException.invalid(errors);
        }
        return true;
    }

    /** A parameter's name as the error shows it: its control characters escaped. */
    private static String printable(String name) {
        StringBuilder b = new StringBuilder();
        for (char c : name.toCharArray()) {
            b.append(TextInput.isControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c));
        }
        return b.toString();
    }
}
