package io.crosstrain.checkpoint;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * Durable storage for checkpoints: a flat namespace of keys ({@code jobs/<jobId>/step-0000000050/manifest.json}).
 * A {@link #put} is atomic: a reader sees the whole object or none. Implementations: {@link LocalDirectoryStore} and
 * {@link S3CheckpointStore}. Closing releases what the store itself opened (an S3 client it built); it does not delete.
 */
public interface CheckpointStore extends Closeable {

    /** Writes {@code length} bytes from {@code data} under {@code key}, replacing any object there. */
    void put(String key, InputStream data, long length) throws IOException;

    default void put(String key, byte[] bytes) throws IOException {
        put(key, new java.io.ByteArrayInputStream(bytes), bytes.length);
    }

    /** The object's bytes as a stream the caller closes, or empty when there is none. */
    Optional<InputStream> open(String key) throws IOException;

    /** The whole object, or empty when there is none. */
    default Optional<byte[]> get(String key) throws IOException {
        Optional<InputStream> in = open(key);
        if (in.isEmpty()) {
            return Optional.empty();
        }
        try (InputStream s = in.get()) {
            return Optional.of(s.readAllBytes());
        }
    }

    /** Every key that starts with {@code prefix}, sorted. */
    List<String> list(String prefix) throws IOException;

    /** Deletes the object; nothing happens when there is none. */
    void delete(String key) throws IOException;

    /** Where an object lives, for people: {@code file:///…} or {@code s3://bucket/prefix/key}. */
    String location(String key);

    @Override
    default void close() throws IOException {
    }
}
