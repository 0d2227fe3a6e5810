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
 * Real Kafka brokers in KRaft mode (each a combined broker and controller) run as child JVMs from Kafka's own jars,
 * which sit on this CLI's class path: {@code kafka.tools.StorageTool format}, then {@code kafka.Kafka}. One broker
 * for {@code ./crosstrain up}; three (replication factor 3, {@code min.insync.replicas} 2) for chaos, where any one
 * may die. Clients log in with SASL/SCRAM-SHA-512 and the standard authorizer denies what no ACL allows; the
 * super user ({@link KafkaGrants#ADMIN}) is created at format time, with a password generated here.
 */
final class KafkaProcess implements AutoCloseable {

    private record Node(int id, int clientPort, Path config, Path log) {
    }

    private final List<Node> nodes;
    private final Process[] processes;
    private final KafkaLogin admin;

    private KafkaProcess(List<Node> nodes, KafkaLogin admin) {
        this.nodes = nodes;
        this.processes = new Process[nodes.size()];
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

    /** Kafka's storage format of one broker's data, with the super user's SCRAM login in its first metadata. */
    static List<String> format(String clusterId, Path config, KafkaLogin admin) {
        return List.of("kafka.tools.StorageTool", "format", "-t", clusterId, "-c", config.toString(), "--add-scram",
                KafkaLogin.MECHANISM + "=[name=" + admin.username() + ",password=" + admin.password() + "]");
    }

    /** Starts one broker on {@code port} (0 = any free port), its controller on another free port. */
    static KafkaProcess start(int port, Path workDir, Duration timeout) throws IOException, InterruptedException {
        return start(1, port, workDir, timeout);
    }

    /**
     * Starts {@code brokers} brokers, the first on {@code port} (0 = any free port), the rest and every controller on
     * free ports; with more than one, topics are replicated to three (or all) of them.
     */
    static KafkaProcess start(int brokers, int port, Path workDir, Duration timeout)
            throws IOException, InterruptedException {
        Path dir = workDir.resolve("kafka");
        deleteRecursively(dir);
        Files.createDirectories(dir);
        Path logs = workDir.resolve("logs");
        Files.createDirectories(logs);
        int[] clientPorts = new int[brokers];
        int[] controllerPorts = new int[brokers];
        List<String> voters = new ArrayList<>();
        for (int i = 0; i < brokers; i++) {
            clientPorts[i] = i == 0 && port > 0 ? port : freePort();
            controllerPorts[i] = freePort();
            voters.add((i + 1) + "@127.0.0.1:" + controllerPorts[i]);
        }
        KafkaLogin admin = KafkaLogin.generate(KafkaGrants.ADMIN);
        String clusterId = Uuid.randomUuid().toString();
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < brokers; i++) {
            int id = i + 1;
            Path nodeDir = brokers == 1 ? dir : dir.resolve("node-" + id);
            Files.createDirectories(nodeDir);
            Path config = nodeDir.resolve("server.properties");
            // the config holds the super user's password: readable by this user alone
            OwnerOnlyFile.write(config, serverProperties(id, "127.0.0.1", clientPorts[i], "127.0.0.1",
                    controllerPorts[i], String.join(",", voters), nodeDir.resolve("data"), Math.min(3, brokers),
                    admin));
            Path log = logs.resolve(brokers == 1 ? "kafka.log" : "kafka-" + id + ".log");
            run(format(clusterId, config, admin), log, true);
            nodes.add(new Node(id, clientPorts[i], config, log));
        }
        KafkaProcess kafka = new KafkaProcess(List.copyOf(nodes), admin);
        for (int i = 0; i < brokers; i++) {
            kafka.processes[i] = spawn(List.of("kafka.Kafka", nodes.get(i).config().toString()), nodes.get(i).log());
        }
        kafka.awaitBrokers(brokers, timeout);
        return kafka;
    }

    /**
     * Stops every broker (a clean shutdown, as an operator's restart would), leaves them down for {@code downtime},
     * and starts them again on the same ports with the same data: clients reconnect on their own.
     */
    void restart(Duration downtime, Duration timeout) throws IOException, InterruptedException {
        close();
        Thread.sleep(downtime.toMillis());
        for (int i = 0; i < nodes.size(); i++) {
            processes[i] = spawn(List.of("kafka.Kafka", nodes.get(i).config().toString()), nodes.get(i).log());
        }
        awaitBrokers(nodes.size(), timeout);
    }

    /** Kills broker {@code index} (SIGKILL: no clean shutdown, as a crashed machine). */
    void kill(int index) throws InterruptedException {
        processes[index].destroyForcibly();
        processes[index].waitFor(30, TimeUnit.SECONDS);
    }

    /** Starts a killed broker again with its data and waits until the cluster counts it again. */
    void startBroker(int index, Duration timeout) throws IOException, InterruptedException {
        Node node = nodes.get(index);
        processes[index] = spawn(List.of("kafka.Kafka", node.config().toString()), node.log());
        awaitBrokers(nodes.size(), timeout);
    }

    int brokers() {
        return nodes.size();
    }

    /** Every broker's client address, comma-separated. */
    String bootstrapServers() {
        return String.join(",", nodes.stream().map(n -> "127.0.0.1:" + n.clientPort()).toList());
    }

    /** The broker's super user. */
    KafkaLogin admin() {
        return admin;
    }

    /** Settings for a client of these brokers logged in as {@code login}. */
    Map<String, Object> clientProperties(KafkaLogin login) {
        Map<String, Object> props = new HashMap<>(login.clientProperties());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return props;
    }

    /** Waits until the cluster reports {@code count} brokers. */
    private void awaitBrokers(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> props = clientProperties(admin);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
        try (AdminClient client = AdminClient.create(props)) {
            while (true) {
                for (int i = 0; i < processes.length; i++) {
                    if (processes[i] != null && !processes[i].isAlive() && processes[i].exitValue() != 137) {
                        throw new IllegalStateException("Kafka broker " + nodes.get(i).id() + " exited with code "
                                + processes[i].exitValue() + " (see " + nodes.get(i).log() + ")");
                    }
                }
                try {
                    if (client.describeCluster().nodes().get(3, TimeUnit.SECONDS).size() >= count) {
                        return;
                    }
                } catch (Exception e) {
                    // not up yet
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(count + " Kafka broker(s) not ready after " + timeout.toSeconds()
                            + " s (see " + nodes.get(0).log() + ")");
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

    private static Process spawn(List<String> mainAndArgs, Path log) throws IOException {
        return spawn(mainAndArgs, ProcessBuilder.Redirect.appendTo(log.toFile()));
    }

    /**
     * A child JVM on this CLI's class path (Kafka's jars) running {@code mainAndArgs}, its output to {@code out}; heap
     * as {@link LocalStack#HOT_JVM} reasons: produce requests of 512 KiB chunks should die young.
     */
    static Process spawn(List<String> mainAndArgs, ProcessBuilder.Redirect out) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "-Xms1g", "-Xmx1g", "-Xmn640m", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path")));
        command.addAll(mainAndArgs);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out).start();
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
        for (Process p : processes) {
            if (p != null) {
                p.destroy();
            }
        }
        for (Process p : processes) {
            if (p == null) {
                continue;
            }
            try {
                if (!p.waitFor(15, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }
}
