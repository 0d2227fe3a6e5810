package io.crosstrain.kafka;

/** A record that can never be processed (bad content, stale plan version): dead-lettered without retries. */
public class InvalidRecordException extends RuntimeException {
    public InvalidRecordException(String message) {
        super(message);
    }

    public InvalidRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
