package io.crosstrain.jobapi.domain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

/**
 * Uploaded training text, stored in the workers' data directory under {@code uploads/<tenant>/<sha256>.txt}: per
 * tenant, so a tenant's jobs train only on its own uploads ({@link #mayUse}); content-addressed, so the same text
 * uploaded twice by one tenant is one file; written to a temporary name first so a worker never reads half a file.
 */
public final class Uploads {

    public static final String FOLDER = "uploads";
    public static final int MIN_BYTES = 1024;

    public record Stored(DatasetSpec dataset, long bytes, String sha256, boolean alreadyThere) {
    }

    private final Path dataDir;

    public Uploads(Path dataDir) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
    }

    /** The folder of {@code tenant}'s uploads, relative to the data directory, ending in {@code /}. */
    public static String folderOf(String tenant) {
        return FOLDER + "/" + tenant + "/";
    }

    /**
     * Whether a job of {@code tenant}, submitted by a non-admin, may train on {@code path}: only on the tenant's own
     * uploads. (Admins may name any file in the data directory.)
     */
    public static boolean mayUse(String tenant, String path) {
        return path != null && path.startsWith(folderOf(tenant)) && path.indexOf('/', folderOf(tenant).length()) < 0;
    }

    /** @param tenant the uploader's tenant (already checked against the tenant name rule) */
    public Stored store(byte[] text, String tenant) {
        if (text.length < MIN_BYTES) {
            throw RequestRejectedException.invalid(List.of(new FieldError("file",
                    "needs at least " + MIN_BYTES + " bytes of text to train on, got " + text.length)));
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(text));
        } catch (CharacterCodingException e) {
            throw RequestRejectedException.invalid(List.of(new FieldError("file", "must be UTF-8 text")));
        }
        String sha = sha256(text);
        String relative = folderOf(tenant) + sha + ".txt";
        Path target = dataDir.resolve(relative);
        try {
            if (Files.exists(target)) {
                return new Stored(new DatasetSpec(DatasetSpec.PATH, null, relative), text.length, sha, true);
            }
            Files.createDirectories(target.getParent());
            Path partial = Files.createTempFile(target.getParent(), ".upload-", ".part");
            Files.write(partial, text);
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store upload in " + target.getParent(), e);
        }
        return new Stored(new DatasetSpec(DatasetSpec.PATH, null, relative), text.length, sha, false);
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
