package io.crosstrain.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import io.crosstrain.contracts.KafkaLogin;
import io.crosstrain.localinfra.KafkaGrants;

/**
 * A real single-node Kafka broker in KRaft mode (combined broker and controller) run as a child JVM from Kafka's
 * own jars, which sit on this CLI's class path: {@code kafka.tools.StorageTool format}, then {@code kafka.Kafka}.
 * Clients log in with SASL/SCRAM-SHA-512 and the standard authorizer denies what no ACL allows; the broker's own
 * super user ({@link KafkaGrants#ADMIN}) is created at format time, with a password generated here.
 */
final class KafkaProcess implements AutoCloseable {

    private final int port;
    private final Path config;
    private volatile Process process;
    private final Path log;
    private final KafkaLogin admin;

    private KafkaProcess(int port, Path config, Process process, Path log, KafkaLogin admin) {
        this.port = port;
        this.config = config;
        this.process = process;
        this.log = log;
        this.admin = admin;
    }

    /**
     * One broker's configuration (combined broker and controller): SASL/SCRAM-SHA-512 for clients, PLAIN between
     * controllers (SCRAM credentials live in the metadata the controller serves), every request authorized by ACLs,
     * topics only by declaration. {@code replication} sets the internal topics' factor and min.insync.replicas to
     * one less (at least 1).
     */
    static String serverProperties(int nodeId, String bindHost, int clientPort, String advertisedHost,
                                   int controllerPort, String voters, Path dataDir, int replication, KafkaLogin admin) {
        String pw = admin.password();
        int minInsync = Math.max(1, replication - 1);
        return String.join("\n",
                "process.roles=broker,controller",
                "node.id=" + nodeId,
                "listeners=CLIENT://" + bindHost + ":" + clientPort + ",CONTROLLER://" + bindHost + ":" + controllerPort,
                "advertised.listeners=CLIENT://" + advertisedHost + ":" + clientPort,
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
                "inter.broker.listener.name=CLIENT",
                "sasl.enabled.mechanisms=" + KafkaLogin.MECHANISM,
                "sasl.mechanism.inter.broker.protocol=" + KafkaLogin.MECHANISM,
                "listener.name.client.scram-sha-512.sasl.jaas.config=" + admin.jaasConfig(),
                "sasl.mechanism.controller.protocol=PLAIN",
                "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
                "listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain."
                        + "PlainLoginModule required username=\"" + admin.username() + "\" password=\"" + pw
                        + "\" user_" + admin.username() + "=\"" + pw + "\";",
                "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "super.users=User:" + admin.username(),
                "allow.everyone.if.no.acl.found=false",
                "controller.quorum.voters=" + voters,
                "log.dirs=" + dataDir,
                "num.partitions=1",
                // topics come from the services' declarations (partitions, compaction), never from a client's request
                "auto.create.topics.enable=false",
                "default.replication.factor=" + replication,
                "min.insync.replicas=" + minInsync,
                "offsets.topic.replication.factor=" + replication,
                "transaction.state.log.replication.factor=" + replication,
                "transaction.state.log.min.isr=" + minInsync,
                "group.initial.rebalance.delay.ms=0",
                // gradient chunks are at most 512 KiB; leave head-room for batching
                "message.max.bytes=4194304",
                "replica.fetch.max.bytes=4194304",
                // kernel-tuned socket buffers rather than 100 KiB: gradient chunks are 512 KiB
                "socket.send.buffer.bytes=-1",
                "socket.receive.buffer.bytes=-1",
                "");
    }

    /** Starts the broker on {@code port} (0 = any free port), its controller on another free port. */
    static KafkaProcess start(int port, Path workDir, Duration timeout) throws IOException, InterruptedException {
        int clientPort = port > 0 ? port : freePort();
        int controllerPort = freePort();
        Path dir = workDir.resolve("kafka");
        deleteRecursively(dir);
        Files.createDirectories(dir);
        Path config = dir.resolve("server.properties");
        KafkaLogin admin = KafkaLogin.generate(KafkaGrants.ADMIN);
        // the config holds the super user's password: readable by this user alone
        OwnerOnlyFile.write(config, serverProperties(1, "127.0.0.1", clientPort, "127.0.0.1", controllerPort,
                "1@127.0.0.1:" + controllerPort, dir.resolve("data"), 1, admin));
        Path log = workDir.resolve("logs").resolve("kafka.log");
        Files.createDirectories(log.getParent());
        run(List.of("kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(), "-c",
                config.toString(), "--add-scram", KafkaLogin.MECHANISM + "=[name=" + admin.username() + ",password="
                        + admin.password() + "]"), log, true);
        Process broker = spawn(List.of("kafka.Kafka", config.toString()), log);
        KafkaProcess kafka = new KafkaProcess(clientPort, config, broker, log, admin);
        kafka.awaitReady(timeout);
        return kafka;
    }

    /**
     * Stops the broker (a clean shutdown, as an operator's restart would), leaves it down for {@code downtime}, and
     * starts it again on the same ports with the same data: clients reconnect on their own.
     */
    void restart(Duration downtime, Duration timeout) throws IOException, InterruptedException {
        close();
        Thread.sleep(downtime.toMillis());
        process = spawn(List.of("kafka.Kafka", config.toString()), log);
        awaitReady(timeout);
    }

    String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** The broker's super user. */
    KafkaLogin admin() {
        return admin;
    }

    /** Settings for a client of this broker logged in as {@code login}. */
    Map<String, Object> clientProperties(KafkaLogin login) {
        Map<String, Object> props = new HashMap<>(login.clientProperties());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return props;
    }

    private void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> props = clientProperties(admin);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
        try (AdminClient client = AdminClient.create(props)) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("Kafka broker exited with code " + process.exitValue()
                            + " (see " + log + ")");
                }
                try {
                    if (!client.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    // not up yet
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Kafka broker not ready after " + timeout.toSeconds() + " s (see "
                            + log + ")");
                }
                Thread.sleep(500);
            }
        }
    }

    private static void run(List<String> mainAndArgs, Path log, boolean mustSucceed)
            throws IOException, InterruptedException {
        Process p = spawn(mainAndArgs, log);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(mainAndArgs.get(0) + " did not finish (see " + log + ")");
        }
        if (mustSucceed && p.exitValue() != 0) {
            throw new IllegalStateException(mainAndArgs.get(0) + " failed with code " + p.exitValue() + " (see " + log
                    + ")");
        }
    }

    /** Same reasoning as {@link LocalStack#HOT_JVM}: produce requests of 512 KiB chunks should die young. */
    private static Process spawn(List<String> mainAndArgs, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "-Xms1g", "-Xmx1g", "-Xmn640m", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path")));
        command.addAll(mainAndArgs);
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
