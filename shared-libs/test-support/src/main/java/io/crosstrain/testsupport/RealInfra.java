package io.crosstrain.testsupport;

import java.util.UUID;

import org.springframework.test.context.DynamicPropertyRegistry;

import io.crosstrain.localinfra.LocalKafka;
import io.crosstrain.localinfra.LocalPostgres;

/**
 * Real infrastructure for integration tests: one in-process KRaft broker per test JVM, and a fresh PostgreSQL
 * database per test JVM on the server at 127.0.0.1:5432 (or {@code CROSSTRAIN_TEST_PG_ADMIN_URL}). The database is
 * ours alone and is dropped when the JVM exits; nobody else's is touched.
 */
public final class RealInfra {

    private static LocalKafka kafka;
    private static FreshDatabase database;

    private RealInfra() {
    }

    public static synchronized String kafkaBootstrap() {
        if (kafka == null) {
            kafka = LocalKafka.start();
            LocalKafka started = kafka;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "stop-test-kafka"));
        }
        return kafka.bootstrapServers();
    }

    public static synchronized FreshDatabase freshDatabase() {
        if (database == null) {
            String admin = adminUrl();
            String name = "ct_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
            LocalPostgres.createDatabaseIfMissing(admin, "postgres", "", name);
            String url = admin.substring(0, admin.lastIndexOf('/') + 1) + name;
            database = new FreshDatabase(url, "postgres", "", name);
            Runtime.getRuntime().addShutdownHook(new Thread(
                    () -> LocalPostgres.dropDatabase(admin, "postgres", "", name), "drop-test-db"));
        }
        return database;
    }

    static String adminUrl() {
        String env = System.getenv("CROSSTRAIN_TEST_PG_ADMIN_URL");
        return env != null && !env.isBlank() ? env : LocalPostgres.LOCAL_ADMIN_URL;
    }

    public static void registerKafka(DynamicPropertyRegistry registry) {
        registry.add("spring.kafka.bootstrap-servers", RealInfra::kafkaBootstrap);
    }

    public static void registerPostgres(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> freshDatabase().jdbcUrl());
        registry.add("spring.datasource.username", () -> freshDatabase().username());
        registry.add("spring.datasource.password", () -> freshDatabase().password());
    }
}
