package io.crosstrain.kafka;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.Set;

/**
 * Whether a record failed because something it needs is briefly away (the database restarting, a connection pool
 * empty) rather than because of the record: such a failure is retried until the database is back, never
 * dead-lettered, or a PostgreSQL restart would silently drop every command and metric read during it.
 */
public final class TransientFailures {

    /** Spring's names for a database that is away, matched by name so this library needs no Spring JDBC. */
    private static final Set<String> SPRING_TRANSIENT = Set.of(
            "org.springframework.dao.TransientDataAccessResourceException",
            "org.springframework.dao.DataAccessResourceFailureException",
            "org.springframework.dao.QueryTimeoutException",
            "org.springframework.jdbc.CannotGetJdbcConnectionException",
            "org.springframework.transaction.CannotCreateTransactionException");

    private TransientFailures() {
    }

    public static boolean isTransient(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLTransientException || t instanceof SQLRecoverableException) {
                return true;
            }
            // SQLSTATE class 08: connection exception; 57P: the server shut down or crashed (PostgreSQL)
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
            for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
                if (SPRING_TRANSIENT.contains(c.getName())) {
                    return true;
                }
            }
        }
        return false;
    }
}
