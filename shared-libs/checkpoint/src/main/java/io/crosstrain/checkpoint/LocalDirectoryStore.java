package io.crosstrain.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@link CheckpointStore} in a local (or mounted network) directory: key {@code a/b/c} is the file
 * {@code root/a/b/c}. Writes go to a temporary file next to the target and are renamed over it, so readers never see
 * a partial object. Keys are relative paths of non-empty segments without {@code .} or {@code ..}.
 */
public final class LocalDirectoryStore implements CheckpointStore {

    /** Temporary files of writes in progress end with this; no key may, so listings can skip them. */
    static final String TEMP_SUFFIX = ".ctput";

    private final Path root;

    public LocalDirectoryStore(Path root) {
        if (root == null) {
            throw new IllegalArgumentException("local checkpoint directory is null");
        }
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    @Override
    public void put(String key, InputStream data, long length) throws IOException {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        Path target = resolve(key);
        Path tmp = createTemp(target);
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE);
                 OutputStream out = Channels.newOutputStream(channel)) {
                copyExactly(data, out, length, key);
                // the rename must not become visible before the data is on disk
                channel.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            moved = true;
            syncDirectory(target.getParent());
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    @Override
    public Optional<InputStream> open(String key) throws IOException {
        Path file = resolve(key);
        if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.newInputStream(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        if (prefix == null) {
            throw new IllegalArgumentException("prefix is null");
        }
        int slash = prefix.lastIndexOf('/');
        // walk only the deepest directory the prefix names; the rest of the prefix filters file names
        Path start = slash < 0 ? root : resolve(prefix.substring(0, slash));
        if (!Files.isDirectory(start)) {
            return List.of();
        }
        List<String> keys = new ArrayList<>();
        Files.walkFileTree(start, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String name = file.getFileName().toString();
                if (attrs.isRegularFile() && !name.endsWith(TEMP_SUFFIX)) {
                    String key = toKey(file);
                    if (key.startsWith(prefix)) {
                        keys.add(key);
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // deleted while we walked
                }
                throw e;
            }
        });
        keys.sort(null);
        return keys;
    }

    @Override
    public void delete(String key) throws IOException {
        Path file = resolve(key);
        if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.deleteIfExists(file)) {
            removeEmptyParents(file.getParent());
        }
    }

    @Override
    public String location(String key) {
        return resolve(key).toUri().toString();
    }

    @Override
    public String toString() {
        return "LocalDirectoryStore[" + root + "]";
    }

    /** The file of {@code key}, after checking the key cannot leave the root. */
    Path resolve(String key) {
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("checkpoint key is empty");
        }
        if (key.startsWith("/") || key.indexOf('\\') >= 0 || key.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("checkpoint key '" + key + "' must be a relative path with '/'");
        }
        Path path = root;
        for (String segment : key.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("checkpoint key '" + key
                        + "' has an empty, '.' or '..' segment");
            }
            path = path.resolve(segment);
        }
        if (key.endsWith(TEMP_SUFFIX)) {
            throw new IllegalArgumentException("checkpoint key '" + key + "' ends with the reserved suffix "
                    + TEMP_SUFFIX);
        }
        Path normalized = path.normalize();
        if (!normalized.startsWith(root) || normalized.equals(root)) {
            throw new IllegalArgumentException("checkpoint key '" + key + "' leaves " + root);
        }
        return normalized;
    }

    private String toKey(Path file) {
        Path relative = root.relativize(file);
        StringBuilder key = new StringBuilder();
        for (Path segment : relative) {
            if (key.length() > 0) {
                key.append('/');
            }
            key.append(segment);
        }
        return key.toString();
    }

    private static Path createTemp(Path target) throws IOException {
        Path dir = target.getParent();
        String name = "." + target.getFileName() + ".";
        for (int attempt = 1; ; attempt++) {
            Files.createDirectories(dir);
            try {
                return Files.createTempFile(dir, name, TEMP_SUFFIX);
            } catch (NoSuchFileException e) {
                // a concurrent delete removed the (then empty) directory between the two calls
                if (attempt == 3) {
                    throw e;
                }
            }
        }
    }

    private static void copyExactly(InputStream in, OutputStream out, long length, String key) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new IOException("data for '" + key + "' ended after " + (length - left) + " of " + length
                        + " bytes");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    private static void syncDirectory(Path dir) {
        // makes the rename itself durable; not every file system lets a directory be opened, so best effort
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // the data file itself was forced already
        }
    }

    private void removeEmptyParents(Path dir) throws IOException {
        // keeps pruned step directories from piling up; a concurrent put re-creates what it needs
        for (Path d = dir; d != null && d.startsWith(root) && !d.equals(root); d = d.getParent()) {
            try {
                Files.delete(d);
            } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                return;
            }
        }
    }
}
