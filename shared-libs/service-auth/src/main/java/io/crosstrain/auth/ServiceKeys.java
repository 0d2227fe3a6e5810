package io.crosstrain.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The HMAC keys caller tokens are signed with, written {@code id:secret,id:secret}. The first key signs; every key
 * verifies. That order is what makes rotation free of downtime: add the new key second everywhere, then move it first
 * (new tokens use it while the old ones still verify), then drop the old key once its last tokens have expired.
 * From a file, the list is re-read whenever the file changes, so a running stack rotates without a restart.
 */
public final class ServiceKeys {

    /** @param secret at least 32 bytes (HS256 wants a key as long as its hash) */
    public record Key(String id, byte[] secret) {
    }

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path file;
    private volatile List<Key> keys;
    private volatile FileTime readAt;

    private ServiceKeys(List<Key> keys, Path file, FileTime readAt) {
        this.keys = keys;
        this.file = file;
        this.readAt = readAt;
    }

    /** Keys given inline, e.g. from {@code CROSSTRAIN_SERVICE_KEYS}. */
    public static ServiceKeys of(String text) {
        return new ServiceKeys(parse(text), null, null);
    }

    /** Keys kept in a file that an operator may rewrite at any time. */
    public static ServiceKeys fromFile(Path file) {
        FileTime modified = modified(file);
        return new ServiceKeys(parse(read(file)), file, modified);
    }

    /** A fresh key line for a stack that was given none: {@code k<seconds>:<256 random bits>}. */
    public static String generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "k" + (System.currentTimeMillis() / 1000) + ":"
                + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public Key signing() {
        return current().get(0);
    }

    public Optional<Key> find(String id) {
        return current().stream().filter(k -> k.id().equals(id)).findFirst();
    }

    public List<String> ids() {
        return current().stream().map(Key::id).toList();
    }

    private List<Key> current() {
        if (file != null) {
            // a half-written or missing file fails to read or parse: the keys we have stay in force until it is whole
            try {
                FileTime modified = modified(file);
                if (!modified.equals(readAt)) {
                    keys = parse(read(file));
                    readAt = modified;
                }
            } catch (IllegalArgumentException | UncheckedIOException e) {
                // keep the previous keys
            }
        }
        return keys;
    }

    static List<Key> parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("no service keys: set CROSSTRAIN_SERVICE_KEYS (id:secret,…, each "
                    + "secret at least 32 bytes) or CROSSTRAIN_SERVICE_KEYS_FILE");
        }
        List<Key> keys = new ArrayList<>();
        for (String entry : text.strip().split("[,\\s]+")) {
            int colon = entry.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("a service key is written id:secret");
            }
            String id = entry.substring(0, colon);
            byte[] secret = entry.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
            if (!ID.matcher(id).matches()) {
                throw new IllegalArgumentException("service key id '" + id + "' must be 1-64 of A-Z a-z 0-9 . _ -");
            }
            if (secret.length < 32) {
                throw new IllegalArgumentException("service key '" + id + "' is shorter than 32 bytes");
            }
            if (keys.stream().anyMatch(k -> k.id().equals(id))) {
                throw new IllegalArgumentException("service key id '" + id + "' appears twice");
            }
            keys.add(new Key(id, secret));
        }
        return List.copyOf(keys);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the service keys in " + file, e);
        }
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the service keys in " + file, e);
        }
    }
}
