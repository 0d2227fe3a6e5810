package io.crosstrain.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * A real single-node Kafka broker in KRaft mode (combined broker and controller) run as a child JVM from Kafka's
 * own jars, which sit on this CLI's class path: {@code kafka.tools.StorageTool format}, then {@code kafka.Kafka}.
 */
final class KafkaProcess implements AutoCloseable {

    private final int port;
    private final Path config;
    private volatile Process process;
    private final Path log;

    private KafkaProcess(int port, Path config, Process process, Path log) {
        this.port = port;
        this.config = config;
        this.process = process;
        this.log = log;
    }

    /** Starts the broker on {@code port} (0 = any free port), its controller on another free port. */
    static KafkaProcess start(int port, Path workDir, Duration timeout) throws IOException, InterruptedException {
        int clientPort = port > 0 ? port : freePort();
        int controllerPort = freePort();
        Path dir = workDir.resolve("kafka");
        deleteRecursively(dir);
        Files.createDirectories(dir);
        Path config = dir.resolve("server.properties");
        Files.writeString(config, String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "listeners=PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + clientPort,
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "log.dirs=" + dir.resolve("data"),
                "num.partitions=1",
                "auto.create.topics.enable=true",
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                // gradient chunks are at most 512 KiB; leave head-room for batching
                "message.max.bytes=4194304",
                "replica.fetch.max.bytes=4194304",
                // kernel-tuned socket buffers rather than 100 KiB: gradient chunks are 512 KiB
                "socket.send.buffer.bytes=-1",
                "socket.receive.buffer.bytes=-1",
                ""));
        Path log = workDir.resolve("logs").resolve("kafka.log");
        Files.createDirectories(log.getParent());
        run(List.of("kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(), "-c",
                config.toString()), log, true);
        Process broker = spawn(List.of("kafka.Kafka", config.toString()), log);
        KafkaProcess kafka = new KafkaProcess(clientPort, config, broker, log);
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

    private void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (AdminClient admin = AdminClient.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers(), AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000))) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("Kafka broker exited with code " + process.exitValue()
                            + " (see " + log + ")");
                }
                try {
                    if (!admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
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
