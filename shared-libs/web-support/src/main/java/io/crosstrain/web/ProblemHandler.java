package io.crosstrain.web;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Every error leaves as RFC 9457 problem+json. Field-level problems carry {@code field} (the first culprit) and
 * {@code errors} (all of them, each {@code {field, message}}).
 */
@RestControllerAdvice
public class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

    @ExceptionHandler(RequestRejectedException.class)
    ResponseEntity<ProblemDetail> rejected(RequestRejectedException e) {
        HttpStatus status = HttpStatus.valueOf(e.status());
        return ResponseEntity.status(status).body(problem(status, e.getMessage(), e.errors()));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        log.error("request failed", e);
        return ResponseEntity.internalServerError()
                .body(problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal error", List.of()));
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
                                                                  HttpHeaders headers, HttpStatusCode status,
                                                                  WebRequest request) {
        JacksonException json = jacksonCause(ex);
        if (json == null) {
            return ResponseEntity.badRequest().body(problem(HttpStatus.BAD_REQUEST,
                    "request body is missing or unreadable", List.of()));
        }
        String path = path(json);
        if (json instanceof UnrecognizedPropertyException unknown) {
            String field = path.isEmpty() ? unknown.getPropertyName() : path;
            return ResponseEntity.badRequest().body(problem(HttpStatus.BAD_REQUEST, "unknown field '" + field + "'",
                    List.of(new FieldError(field, "unknown field"))));
        }
        if (json instanceof ControlCharacterModule.ControlCharacterException control) {
            String field = path.isEmpty() ? "body" : path;
            String message = TextInput.problem(control.where());
            return ResponseEntity.badRequest().body(problem(HttpStatus.BAD_REQUEST, "'" + field + "' " + message,
                    List.of(new FieldError(field, message))));
        }
        if (path.isEmpty()) {
            return ResponseEntity.badRequest().body(problem(HttpStatus.BAD_REQUEST, "malformed JSON", List.of()));
        }
        return ResponseEntity.badRequest().body(problem(HttpStatus.BAD_REQUEST, "invalid value for '" + path + "'",
                List.of(new FieldError(path, "missing, null or of the wrong type"))));
    }

    @Override
    protected ResponseEntity<Object> handleTypeMismatch(TypeMismatchException ex, HttpHeaders headers,
                                                        HttpStatusCode status, WebRequest request) {
        String field = ex instanceof MethodArgumentTypeMismatchException m ? m.getName() : ex.getPropertyName();
        return ResponseEntity.badRequest().body(problem(HttpStatus.BAD_REQUEST, "invalid value for '" + field + "'",
                List.of(new FieldError(field, "cannot be converted"))));
    }

    @Override
    protected ResponseEntity<Object> handleMissingServletRequestParameter(MissingServletRequestParameterException ex,
                                                                          HttpHeaders headers,
                                                                          HttpStatusCode status,
                                                                          WebRequest request) {
        return ResponseEntity.badRequest().body(problem(HttpStatus.BAD_REQUEST,
                "missing parameter '" + ex.getParameterName() + "'",
                List.of(new FieldError(ex.getParameterName(), "is required"))));
    }

    public static ProblemDetail problem(HttpStatus status, String detail, List<FieldError> errors) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        if (!errors.isEmpty()) {
            problem.setProperty("field", errors.get(0).field());
            problem.setProperty("errors", errors.stream()
                    .map(e -> Map.of("field", e.field(), "message", e.message()))
                    .toList());
        }
        return problem;
    }

    private static JacksonException jacksonCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof JacksonException j) {
                return j;
            }
        }
        return null;
    }

    /** JSON path of the offending value: {@code model.layers}, {@code devices[2]}. */
    private static String path(JacksonException e) {
        return e.getPath().stream()
                .map(r -> r.getPropertyName() != null ? "." + r.getPropertyName()
                        : r.getIndex() >= 0 ? "[" + r.getIndex() + "]" : "")
                .collect(Collectors.joining())
                .replaceFirst("^\\.", "");
    }
}
