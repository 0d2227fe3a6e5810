package io.crosstrain.web;

import java.util.List;

/**
 * A request that cannot be carried out because of the named fields. {@code status} is the HTTP status it maps to
 * (400 malformed, 404 not found, 409 conflict or not yet possible, 422 refers to something that does not exist).
 */
public class RequestRejectedException extends RuntimeException {

    private final int status;
    private final List<FieldError> errors;

    public RequestRejectedException(int status, String message, List<FieldError> errors) {
        super(message);
        this.status = status;
        this.errors = List.copyOf(errors);
    }

    public static RequestRejectedException invalid(List<FieldError> errors) {
        return new RequestRejectedException(400, "invalid request", errors);
    }

    /** One field at fault, with {@code status}; the message is the problem's detail and the field's message. */
    public static RequestRejectedException field(int status, String field, String message) {
        return new RequestRejectedException(status, message, List.of(new FieldError(field, message)));
    }

    public static RequestRejectedException conflict(String field, String message) {
        return field(409, field, message);
    }

    public static RequestRejectedException unprocessable(String field, String message) {
        return field(422, field, message);
    }

    public static RequestRejectedException notFound(String message) {
        return new RequestRejectedException(404, message, List.of());
    }

    /** The request is well-formed but the resource is not in a state that allows it (409 without a field). */
    public static RequestRejectedException notYet(String message) {
        return new RequestRejectedException(409, message, List.of());
    }

    public int status() {
        return status;
    }

    public List<FieldError> errors() {
        return errors;
    }
}
