package io.crosstrain.localinfra;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * Finds a PostgreSQL to use, in the order of ARCHITECTURE.md §8: the configured URL, else the server on
 * 127.0.0.1:5432, else an embedded server (only for non-root users: PostgreSQL refuses to run as root).
 */
public final class LocalPostgres implements AutoCloseable {

    public static final String LOCAL_ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/postgres";

    private final String jdbcUrl;
    private final String username;
    private final String password;
    private final String source;
    private final EmbeddedPostgres embedded;

    private LocalPostgres(String jdbcUrl, String username, String password, String source, EmbeddedPostgres embedded) {
        this.jdbcUrl = jdbcUrl;
        this.username = username;
        this.password = password;
        this.source = source;
        this.embedded = embedded;
    }

    /**
     * @param configuredUrl a JDBC URL to use as is (may be null)
     * @param database      the database to create (if missing) on the local or embedded server
     */
    public static LocalPostgres resolve(String configuredUrl, String user, String password, String database) {
        if (configuredUrl != null && !configuredUrl.isBlank()) {
            try (Connection c = DriverManager.getConnection(configuredUrl, user, password)) {
                return new LocalPostgres(configuredUrl, user, password, "configured", null);
            } catch (SQLException e) {
                throw new IllegalStateException("PostgreSQL at " + configuredUrl + " is unreachable: " + e.getMessage()
                        + " (fix DB_URL/DB_USER/DB_PASSWORD or unset DB_URL to use the local server)", e);
            }
        }
        if (answers(LOCAL_ADMIN_URL, "postgres", "")) {
            createDatabaseIfMissing(LOCAL_ADMIN_URL, "postgres", "", database);
            return new LocalPostgres("jdbc:postgresql://127.0.0.1:5432/" + database, "postgres", "",
                    "local server 127.0.0.1:5432", null);
        }
        if ("root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("No PostgreSQL: nothing answers on 127.0.0.1:5432 and an embedded server "
                    + "cannot run as root. Start one (pg_ctlcluster 15 main start), or set DB_URL, or run as a non-root user.");
        }
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
            String admin = pg.getJdbcUrl("postgres", "postgres");
            createDatabaseIfMissing(admin, "postgres", "", database);
            return new LocalPostgres(pg.getJdbcUrl("postgres", database), "postgres", "", "embedded", pg);
        } catch (IOException e) {
            throw new IllegalStateException("Could not start an embedded PostgreSQL: " + e.getMessage(), e);
        }
    }

    public static boolean answers(String url, String user, String password) {
        DriverManager.setLoginTimeout(3);
        try (Connection c = DriverManager.getConnection(url, user, password)) {
            return c.isValid(3);
        } catch (SQLException e) {
            return false;
        }
    }

    /** Creates {@code database} unless it exists. Names are restricted so they can be inlined safely. */
    public static void createDatabaseIfMissing(String adminUrl, String user, String password, String database) {
        requireSafeName(database);
        try (Connection c = DriverManager.getConnection(adminUrl, user, password);
             Statement st = c.createStatement()) {
            var rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + database + "'");
            if (!rs.next()) {
                st.execute("CREATE DATABASE " + database);
            }
        } catch (SQLException e) {
            if (!"42P04".equals(e.getSQLState())) { // created concurrently by someone else
                throw new IllegalStateException("Could not create database " + database + ": " + e.getMessage(), e);
            }
        }
    }

    public static void dropDatabase(String adminUrl, String user, String password, String database) {
        requireSafeName(database);
        try (Connection c = DriverManager.getConnection(adminUrl, user, password);
             Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
        } catch (SQLException e) {
            throw new IllegalStateException("Could not drop database " + database + ": " + e.getMessage(), e);
        }
    }

    static void requireSafeName(String name) {
        if (!name.toLowerCase(Locale.ROOT).equals(name) || !name.matches("[a-z_][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("unsafe database name: " + name);
        }
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String username() {
        return username;
    }

    public String password() {
        return password;
    }

    /** "configured", "local server 127.0.0.1:5432" or "embedded". */
    public String source() {
        return source;
    }

    @Override
    public void close() throws IOException {
        if (embedded != null) {
            embedded.close();
        }
    }
}
