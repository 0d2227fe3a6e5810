package io.crosstrain.testsupport;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;

import org.apache.kafka.common.Uuid;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.postgresql.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;

import io.crosstrain.localinfra.LocalKafka;

/**
 * PostgreSQL and Kafka as containers, for {@link RealInfra} when {@link TestInfra} chooses them. PostgreSQL is the
 * image {@code scripts/build-images --base} made here without a registry (Debian's package), Kafka an image built
 * here from the Kafka jars of this JVM on its Java 17 image; where those bases are missing (a laptop), the public
 * postgres and eclipse-temurin images. Each container lives as long as the test JVM; a shutdown hook removes it.
 */
final class TestContainers {

    static final String BASE_IMAGE = "crosstrain/debian:bookworm";
    static final String POSTGRES_IMAGE = "crosstrain/postgres:0.1.0-SNAPSHOT";
    static final String JRE_IMAGE = "crosstrain/jre:17";
    private static final String PUBLIC_POSTGRES = "postgres:15";
    private static final String PUBLIC_JRE = "eclipse-temurin:17-jre";
    /** What {@code kafka.Kafka} and its storage tool load, by jar name. */
    private static final List<String> KAFKA_RUNTIME = List.of("kafka", "scala-", "jackson-", "jopt-simple",
            "argparse4j", "slf4j-api", "logback-", "log4j-", "metrics-core", "zstd-jni", "lz4-java", "snappy-java",
            "pcollections", "caffeine", "commons-validator", "commons-beanutils", "commons-digester",
            "commons-logging", "commons-collections", "re2j", "HdrHistogram", "opentelemetry-proto", "protobuf-java",
            "jose4j", "swagger-annotations");

    private TestContainers() {
    }

    /** A started PostgreSQL 15, superuser {@code postgres}; its admin JDBC URL on 127.0.0.1. Removed at JVM exit. */
    static FreshDatabase postgres() {
        DockerImageName image = present(POSTGRES_IMAGE)
                ? DockerImageName.parse(POSTGRES_IMAGE).asCompatibleSubstituteFor("postgres")
                : DockerImageName.parse(PUBLIC_POSTGRES);
        int port = freePort();
        PostgreSQLContainer pg = new PostgreSQLContainer(image).withUsername("postgres").withPassword("postgres")
                .withDatabaseName("postgres").withStartupTimeout(Duration.ofMinutes(2));
        pg.withCreateContainerCmdModifier(cmd -> onLoopback(cmd, port, 5432));
        started(pg);
        return new FreshDatabase("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "postgres",
                "postgres");
    }

    /**
     * Publishes the container's port on this machine's loopback only (Testcontainers would publish on every
     * address, and on a machine that looks like a container to it, /.dockerenv, it connects through the bridge).
     */
    private static void onLoopback(CreateContainerCmd cmd, int hostPort, int containerPort) {
        cmd.getHostConfig().withPortBindings(new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", hostPort),
                new ExposedPort(containerPort)));
    }

    /** A started single-node KRaft broker, plaintext, answering on 127.0.0.1; returns its bootstrap address. */
    static String kafka() {
        // Kafka advertises one address: the container listens on the very port the host publishes it at
        int port = freePort();
        StringBuilder config = new StringBuilder(String.join("\n",
                "process.roles=broker,controller", "node.id=1", "controller.quorum.voters=1@127.0.0.1:9093",
                "listeners=PLAINTEXT://0.0.0.0:" + port + ",CONTROLLER://127.0.0.1:9093",
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "controller.listener.names=CONTROLLER", "inter.broker.listener.name=PLAINTEXT",
                "log.dirs=/tmp/kraft", "num.partitions=1", ""));
        LocalKafka.testBrokerProperties().forEach((k, v) -> config.append(k).append('=').append(v).append('\n'));
        String run = "java -Xmx256m -cp '/kafka/*' kafka.tools.StorageTool format -t " + Uuid.randomUuid()
                + " -c /tmp/server.properties > /dev/null && exec java -Xmx768m -XX:+UseSerialGC -cp '/kafka/*' "
                + "kafka.Kafka /tmp/server.properties";
        GenericContainer<?> kafka = new GenericContainer<>(kafkaImage())
                .withCopyToContainer(Transferable.of(config.toString()), "/tmp/server.properties")
                .withExposedPorts(port)
                .withCreateContainerCmdModifier(cmd -> {
                    cmd.withEntrypoint("bash", "-c", run);
                    onLoopback(cmd, port, port);
                })
                .waitingFor(Wait.forLogMessage(".*Kafka Server started.*", 1))
                .withStartupTimeout(Duration.ofMinutes(2));
        started(kafka);
        return "127.0.0.1:" + port;
    }

    /**
     * Kafka's own jars, the very ones on this JVM's class path (Maven Central's), on a Java 17 image: Kafka has no
     * Debian package, and no registry answers here. Tagged by the jars' names, so built once per Kafka version.
     */
    private static String kafkaImage() {
        List<Path> jars = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path jar = Path.of(entry);
            String name = jar.getFileName().toString();
            if (name.endsWith(".jar") && KAFKA_RUNTIME.stream().anyMatch(name::startsWith)) {
                jars.add(jar);
            }
        }
        jars.sort(Comparator.comparing(j -> j.getFileName().toString()));
        String names = jars.stream().map(j -> j.getFileName().toString()).collect(Collectors.joining(","));
        String tag = "crosstrain/test-kafka:" + UUID.nameUUIDFromBytes(names.getBytes(StandardCharsets.UTF_8))
                .toString().substring(0, 12);
        if (present(tag)) {
            return tag;
        }
        String jre = present(JRE_IMAGE) ? JRE_IMAGE : PUBLIC_JRE;
        ImageFromDockerfile image = new ImageFromDockerfile(tag, false)
                .withDockerfileFromBuilder(b -> b.from(jre).copy("kafka/", "/kafka/").build());
        for (Path jar : jars) {
            image.withFileFromPath("kafka/" + jar.getFileName(), jar);
        }
        return image.get();
    }

    private static <C extends GenericContainer<?>> C started(C container) {
        container.start();
        Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "stop-test-container"));
        return container;
    }

    private static boolean present(String image) {
        try {
            DockerClientFactory.instance().client().inspectImageCmd(image).exec();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port for the Kafka container", e);
        }
    }
}
