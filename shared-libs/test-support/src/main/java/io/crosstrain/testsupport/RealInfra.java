package io.crosstrain.testsupport;

import java.util.UUID;

import org.springframework.test.context.DynamicPropertyRegistry;

import io.crosstrain.localinfra.LocalKafka;
import io.crosstrain.localinfra.LocalPostgres;

/**
 * Real infrastructure for integration tests: one KRaft broker per test JVM, and a fresh PostgreSQL database per test
 * JVM. {@link TestInfra} decides where they come from: containers (a broker and a server of their own, removed at
 * exit), or this machine's servers (an in-process broker; a database on the server at 127.0.0.1:5432 or
 * {@code CROSSTRAIN_TEST_PG_ADMIN_URL}, ours alone and dropped when the JVM exits; nobody else's is touched).
 */
public final class RealInfra {

    private static String kafkaBootstrap;
    private static FreshDatabase database;

    private RealInfra() {
    }

    public static synchronized String kafkaBootstrap() {
        if (kafkaBootstrap == null) {
            if (TestInfra.source() == TestInfra.Source.CONTAINERS) {
                kafkaBootstrap = TestContainers.kafka();
            } else {
                LocalKafka kafka = LocalKafka.start();
                Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "stop-test-kafka"));
                kafkaBootstrap = kafka.bootstrapServers();
            }
        }
        return kafkaBootstrap;
    }

    public static synchronized FreshDatabase freshDatabase() {
        if (database == null) {
            FreshDatabase server = TestInfra.source() == TestInfra.Source.CONTAINERS ? TestContainers.postgres()
                    : new FreshDatabase(adminUrl(), "postgres", "", "postgres");
            String admin = server.jdbcUrl();
            String name = "ct_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
            LocalPostgres.createDatabaseIfMissing(admin, server.username(), server.password(), name);
            String url = admin.substring(0, admin.lastIndexOf('/') + 1) + name;
            database = new FreshDatabase(url, server.username(), server.password(), name);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> LocalPostgres.dropDatabase(admin,
                    server.username(), server.password(), name), "drop-test-db"));
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
