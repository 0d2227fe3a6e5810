package io.crosstrain.localinfra;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One PostgreSQL role per service, named {@code <database>_<schema>}, owning that service's schema and nothing else:
 * a service that is broken into reads or changes only its own tables. Made (or given a fresh password) by whoever
 * holds the administrator's connection, before the services start; the services then run their own Flyway
 * migrations as that role.
 */
public final class ServiceRoles {

    public record Login(String user, String password) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private ServiceRoles() {
    }

    /** The role a service's schema gets in {@code database}. */
    public static String roleName(String database, String schema) {
        String role = database + "_" + schema;
        LocalPostgres.requireSafeName(role);
        return role;
    }

    /**
     * Creates or updates the roles of {@code schemas} (service name to schema) in the database {@code adminUrl}
     * points at, each with a fresh random password, and hands each schema (and anything already in it) to its role.
     *
     * @return service name to its login
     */
    public static Map<String, Login> prepare(String adminUrl, String user, String password, String database,
                                             Map<String, String> schemas) {
        LocalPostgres.requireSafeName(database);
        Map<String, Login> logins = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(adminUrl, user, password);
             Statement st = c.createStatement()) {
            // no one but the owner and the roles granted below may connect or create in public
            st.execute("REVOKE ALL ON DATABASE " + database + " FROM PUBLIC");
            st.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
            for (Map.Entry<String, String> e : schemas.entrySet()) {
                String schema = e.getValue();
                LocalPostgres.requireSafeName(schema);
                String role = roleName(database, schema);
                String secret = secret();
                var exists = st.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = '" + role + "'");
                boolean known = exists.next();
                exists.close();
                st.execute((known ? "ALTER" : "CREATE") + " ROLE " + role
                        + " WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '" + secret + "'");
                st.execute("GRANT CONNECT, TEMPORARY ON DATABASE " + database + " TO " + role);
                st.execute("CREATE SCHEMA IF NOT EXISTS " + schema + " AUTHORIZATION " + role);
                // a schema made before roles existed (an older stack's database) changes hands with its contents
                st.execute("ALTER SCHEMA " + schema + " OWNER TO " + role);
                st.execute("""
                        DO $$DECLARE r record;
                        BEGIN
                          FOR r IN SELECT c.relname, c.relkind FROM pg_class c
                                   JOIN pg_namespace n ON n.oid = c.relnamespace
                                   WHERE n.nspname = '%1$s' AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
                                     AND pg_get_userbyid(c.relowner) <> '%2$s'
                                     -- a column's own sequence moves with its table
                                     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid
                                                     AND c.relkind = 'S' AND d.deptype IN ('a', 'i')) LOOP
                            EXECUTE format('ALTER %%s %%I.%%I OWNER TO %2$s',
                              CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                             WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                              '%1$s', r.relname);
                          END LOOP;
                        END$$""".formatted(schema, role));
                logins.put(e.getKey(), new Login(role, secret));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not prepare the services' PostgreSQL roles in " + database + ": "
                    + e.getMessage(), e);
        }
        return logins;
    }

    /** Drops the roles of {@code schemas} in {@code database} (after the database itself was dropped). */
    public static void drop(String adminUrl, String user, String password, String database,
                            Iterable<String> schemas) {
        try (Connection c = DriverManager.getConnection(adminUrl, user, password);
             Statement st = c.createStatement()) {
            for (String schema : schemas) {
                st.execute("DROP ROLE IF EXISTS " + roleName(database, schema));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not drop the services' roles of " + database + ": "
                    + e.getMessage(), e);
        }
    }

    private static String secret() {
        byte[] bytes = new byte[24];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
