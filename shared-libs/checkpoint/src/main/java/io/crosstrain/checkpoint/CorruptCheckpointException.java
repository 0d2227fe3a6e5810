package io.crosstrain.checkpoint;

import java.io.IOException;

/** A checkpoint whose manifest exists but whose shards are missing, altered or inconsistent with it. */
public class CorruptCheckpointException extends IOException {

    public CorruptCheckpointException(String message) {
        super(message);
    }

    public CorruptCheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
