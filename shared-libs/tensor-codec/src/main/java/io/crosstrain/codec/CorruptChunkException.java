package io.crosstrain.codec;

/** A byte record is not a valid tensor chunk; the message says what is wrong. */
public class CorruptChunkException extends RuntimeException {
    public CorruptChunkException(String message) {
        super(message);
    }
}
