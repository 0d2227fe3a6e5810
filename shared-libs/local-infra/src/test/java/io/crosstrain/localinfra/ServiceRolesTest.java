package io.crosstrain.localinfra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Against the machine's PostgreSQL (127.0.0.1:5432, as the tests of every service use it), in a fresh database. */
class ServiceRolesTest {

    final String database = "ct_roles_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    final String url = "jdbc:postgresql://127.0.0.1:5432/" + database;
    static final Map<String, String> SCHEMAS = Map.of("job-api", "job_api", "scheduler", "scheduler");

    @AfterEach
    void drop() {
        LocalPostgres.dropDatabase(LocalPostgres.LOCAL_ADMIN_URL, "postgres", "", database);
        ServiceRoles.drop(LocalPostgres.LOCAL_ADMIN_URL, "postgres", "", database, SCHEMAS.values());
    }

    @Test
    void eachRoleOwnsItsSchemaWithWhatWasAlreadyThereAndReadsNoOther() throws Exception {
        LocalPostgres.createDatabaseIfMissing(LocalPostgres.LOCAL_ADMIN_URL, "postgres", "", database);
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement st = c.createStatement()) {
            // as an older stack left it: the superuser's schema, table and sequence
            st.execute("CREATE SCHEMA job_api");
            st.execute("CREATE TABLE job_api.jobs (id serial PRIMARY KEY, name text)");
            st.execute("INSERT INTO job_api.jobs (name) VALUES ('old')");
        }

        Map<String, ServiceRoles.Login> logins = ServiceRoles.prepare(url, "postgres", "", database, SCHEMAS);
        assertThat(logins.get("job-api").user()).isEqualTo(database + "_job_api");

        ServiceRoles.Login jobApi = logins.get("job-api");
        try (Connection c = DriverManager.getConnection(url, jobApi.user(), jobApi.password());
             Statement st = c.createStatement()) {
            st.execute("INSERT INTO job_api.jobs (name) VALUES ('new')"); // its table and sequence, now its own
            st.execute("ALTER TABLE job_api.jobs ADD COLUMN tenant text"); // as a later migration would
            st.execute("CREATE TABLE job_api.flyway_like (v int)");
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM job_api.jobs")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(2);
            }
            for (String foreign : List.of("CREATE TABLE scheduler.x (v int)", "CREATE TABLE public.x (v int)",
                    "CREATE SCHEMA other")) {
                assertThatThrownBy(() -> st.execute(foreign)).as(foreign).hasMessageContaining("permission denied");
            }
        }
        ServiceRoles.Login scheduler = logins.get("scheduler");
        try (Connection c = DriverManager.getConnection(url, scheduler.user(), scheduler.password());
             Statement st = c.createStatement()) {
            st.execute("CREATE TABLE scheduler.plans (v int)");
            assertThatThrownBy(() -> st.executeQuery("SELECT * FROM job_api.jobs"))
                    .hasMessageContaining("permission denied");
        }

        // a second start hands out fresh passwords for the same roles
        assertThat(ServiceRoles.prepare(url, "postgres", "", database, SCHEMAS).get("job-api").password())
                .isNotEqualTo(jobApi.password());
    }
}
