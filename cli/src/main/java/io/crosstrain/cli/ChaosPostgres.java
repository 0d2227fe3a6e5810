package io.crosstrain.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.crosstrain.localinfra.LocalPostgres;

/**
 * A PostgreSQL cluster of chaos's own, made with Debian's {@code pg_createcluster} beside the machine's server (never
 * touching it), so chaos may crash and restart it at will; dropped at the end. Needs root and postgresql-common.
 */
final class ChaosPostgres implements AutoCloseable {

    static final String CLUSTER = "crosstrain-chaos";

    private final String version;
    private final int port;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ChaosPostgres(String version, int port) {
        this.version = version;
        this.port = port;
    }

    /** Creates and starts the cluster on {@code port} (trust authentication on loopback, as the machine's). */
    static ChaosPostgres create(int port, String database) throws IOException, InterruptedException {
        String version = newestVersion();
        ChaosPostgres pg = new ChaosPostgres(version, port);
        pg.command(List.of("pg_dropcluster", "--stop", version, CLUSTER), false); // a crashed earlier run's
        pg.command(List.of("pg_createcluster", version, CLUSTER, "-p", String.valueOf(port), "--", "--auth=trust"),
                true);
        pg.command(List.of("pg_ctlcluster", version, CLUSTER, "start"), true);
        LocalPostgres.createDatabaseIfMissing(pg.adminUrl(), "postgres", "", database);
        return pg;
    }

    private static String newestVersion() throws IOException {
        Path lib = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(lib)) {
            throw new IllegalStateException("chaos makes its own PostgreSQL cluster with pg_createcluster: no "
                    + "PostgreSQL server package here (/usr/lib/postgresql)");
        }
        try (var versions = Files.list(lib)) {
            return versions.map(p -> p.getFileName().toString()).filter(v -> v.matches("\\d+"))
                    .max(Comparator.comparingInt(Integer::parseInt))
                    .orElseThrow(() -> new IllegalStateException("no PostgreSQL version in " + lib));
        }
    }

    String adminUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
    }

    String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** Crashes the server (immediate stop: no checkpoint, as a power cut), waits, starts it again. */
    void crashAndRestart(Duration downtime) throws IOException, InterruptedException {
        command(List.of("pg_ctlcluster", version, CLUSTER, "stop", "-m", "immediate"), true);
        Thread.sleep(downtime.toMillis());
        command(List.of("pg_ctlcluster", version, CLUSTER, "start"), true);
    }

    /** Whether the server answers queries. */
    boolean answers() {
        return LocalPostgres.answers(adminUrl(), "postgres", "");
    }

    private void command(List<String> command, boolean mustSucceed) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(2, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish");
        }
        if (mustSucceed && p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + p.exitValue() + "): " + output);
        }
    }

    /**
     * Stops the server at once (its data is thrown away next) and drops the cluster; only the first call does, so the
     * shutdown hook after a normal end has nothing left to do.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            command(List.of("pg_ctlcluster", version, CLUSTER, "stop", "-m", "immediate"), false);
            command(List.of("pg_dropcluster", version, CLUSTER), false);
        } catch (IOException e) {
            throw new IllegalStateException("could not drop PostgreSQL cluster " + CLUSTER + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
