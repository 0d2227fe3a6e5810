package io.crosstrain.auth;

/** A caller token that is missing, malformed, expired, or not signed by a key this service knows. */
public class InvalidCallerTokenException extends RuntimeException {

    public InvalidCallerTokenException(String message) {
        super(message);
    }

    public InvalidCallerTokenException(String message, Throwable cause) {
        super(message, cause);
    }
}
