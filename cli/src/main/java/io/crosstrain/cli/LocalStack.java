package io.crosstrain.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.crosstrain.contracts.KafkaLogin;
import io.crosstrain.localinfra.KafkaGrants;

import io.crosstrain.localinfra.LocalPostgres;

/**
 * Everything of ARCHITECTURE.md §8's all-in-one mode: a real KRaft broker in this JVM, PostgreSQL (configured, local
 * or embedded), and every service as a child JVM from its own jar.
 */
final class LocalStack implements AutoCloseable {

    /**
     * @param extraEnv        environment for every service on top of the stack's own (e.g. shorter health timeouts)
     * @param checkpointStore {@code local} (a directory under the work directory) or {@code s3} (S3Proxy started
     *                        beside the stack, {@link S3ProxyProcess})
     */
    record Options(Path home, int kafkaPort, int portBase, String database, Path workDir, DemoCluster cluster,
                   Map<String, String> extraEnv, String checkpointStore, int kafkaBrokers) {

        Options {
            if (!"local".equals(checkpointStore) && !"s3".equals(checkpointStore)) {
                throw new IllegalArgumentException("checkpoint store must be local or s3, not " + checkpointStore);
            }
            if (kafkaBrokers < 1) {
                throw new IllegalArgumentException("at least one Kafka broker, not " + kafkaBrokers);
            }
        }

        Options(Path home, int kafkaPort, int portBase, String database, Path workDir, DemoCluster cluster,
                Map<String, String> extraEnv, String checkpointStore) {
            this(home, kafkaPort, portBase, database, workDir, cluster, extraEnv, checkpointStore, 1);
        }

        Options(Path home, int kafkaPort, int portBase, String database, Path workDir, DemoCluster cluster,
                Map<String, String> extraEnv) {
            this(home, kafkaPort, portBase, database, workDir, cluster, extraEnv, "local");
        }

        Options(Path home, int kafkaPort, int portBase, String database, Path workDir, DemoCluster cluster) {
            this(home, kafkaPort, portBase, database, workDir, cluster, Map.of());
        }

        /** The same stack with its checkpoints in {@code store}. */
        Options withCheckpointStore(String store) {
            return new Options(home, kafkaPort, portBase, database, workDir, cluster, extraEnv, store, kafkaBrokers);
        }

        /** The same stack on {@code brokers} Kafka brokers (three: replication factor 3, min.insync.replicas 2). */
        Options withKafkaBrokers(int brokers) {
            return new Options(home, kafkaPort, portBase, database, workDir, cluster, extraEnv, checkpointStore,
                    brokers);
        }

        int gateway() {
            return portBase;
        }

        int inventory() {
            return portBase + 1;
        }

        int jobApi() {
            return portBase + 2;
        }

        int scheduler() {
            return portBase + 3;
        }

        /** S3Proxy, when the checkpoints go to S3. */
        int s3() {
            return portBase + 9;
        }

        int relay(int i) {
            return portBase + 10 + i;
        }

        /** The i-th node's worker, in {@link DemoCluster#nodes()} order. */
        int worker(int i) {
            return portBase + 20 + i;
        }
    }

    private static final List<String> LIGHT_JVM = List.of("-Xms32m", "-Xmx256m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1", "-Xss512k");
    /**
     * Relays and workers pass ~20 MB of 512 KiB chunks through the heap every round; a young generation that holds
     * several rounds lets every chunk die young, so collections stay short and the old generation never fills (a
     * small one promoted in-flight chunks and stalled rounds with 300 ms full collections).
     */
    static final List<String> HOT_JVM = List.of("-Xms1g", "-Xmx1g", "-Xmn640m", "-XX:+UseSerialGC", "-Xss1m");

    private final Options options;
    private final PrintStream out;
    private final String adminKey;
    private final String serviceKeys;
    private volatile io.crosstrain.auth.CallerTokens tokens;
    private final List<ServiceProcess> services = new ArrayList<>();
    private KafkaProcess kafka;
    private LocalPostgres postgres;
    private S3ProxyProcess s3;

    LocalStack(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
        this.adminKey = adminKeyOf(options);
        String givenKeys = options.extraEnv().getOrDefault(SERVICE_KEYS_ENV, System.getenv(SERVICE_KEYS_ENV));
        this.serviceKeys = givenKeys == null || givenKeys.isBlank() ? io.crosstrain.auth.ServiceKeys.generate()
                : givenKeys.strip();
    }

    static final String SERVICE_KEYS_ENV = "CROSSTRAIN_SERVICE_KEYS";

    /** The services that keep state in PostgreSQL, and the schema each owns. */
    static final Map<String, String> SCHEMAS = Map.of("gateway", "gateway", "device-inventory", "inventory",
            "job-api", "job_api", "scheduler", "scheduler");

    /** Each stateful service's own PostgreSQL login (empty: they share the configured one). */
    private Map<String, io.crosstrain.localinfra.ServiceRoles.Login> dbLogins = Map.of();

    /**
     * One role per service, owning its schema alone. A configured login that may not create roles keeps the stack
     * working with that one login, and says so.
     */
    private Map<String, io.crosstrain.localinfra.ServiceRoles.Login> serviceRoles() {
        try {
            return io.crosstrain.localinfra.ServiceRoles.prepare(postgres.jdbcUrl(), postgres.username(),
                    postgres.password(), options.database(), SCHEMAS);
        } catch (IllegalStateException e) {
            out.println("  PostgreSQL  every service uses " + postgres.username() + ": " + e.getMessage());
            return Map.of();
        }
    }

    /** The stack's database, for tests that connect as one of the services' roles. */
    String databaseUrl() {
        return postgres.jdbcUrl();
    }

    /** The login a service uses (its own role), for tests that check what it may not touch. */
    io.crosstrain.localinfra.ServiceRoles.Login dbLogin(String service) {
        return dbLogins.get(service);
    }

    /** The common environment, with a service's own database and Kafka logins. */
    private Map<String, String> envOf(String service, Map<String, String> env) {
        Map<String, String> own = new HashMap<>(env);
        io.crosstrain.localinfra.ServiceRoles.Login login = dbLogins.get(service);
        if (login != null) {
            own.put("DB_USER", login.user());
            own.put("DB_PASSWORD", login.password());
        }
        KafkaLogin kafkaLogin = kafkaLogins.get(service);
        if (kafkaLogin != null) {
            own.put("CROSSTRAIN_KAFKA_USERNAME", kafkaLogin.username());
            own.put("CROSSTRAIN_KAFKA_PASSWORD", kafkaLogin.password());
        }
        return own;
    }

    /** Each Kafka principal's login (services by their process name, and {@link KafkaGrants#AUTOMATION}). */
    private Map<String, KafkaLogin> kafkaLogins = Map.of();

    /**
     * A login per principal of this stack's cluster, created on the broker with its ACLs; the automation login is
     * also written to a client properties file for console tools and kcat.
     */
    private Map<String, KafkaLogin> kafkaLogins() throws IOException {
        Map<String, String> nodes = new java.util.LinkedHashMap<>();
        options.cluster().nodes().forEach(n -> nodes.put(n.id(), n.datacenter()));
        Map<KafkaGrants.Principal, KafkaLogin> logins = new java.util.LinkedHashMap<>();
        KafkaGrants.of(nodes).forEach(p -> logins.put(p, KafkaLogin.generate(p.name())));
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(kafkaClient())) {
            KafkaGrants.apply(admin, logins);
        }
        Map<String, KafkaLogin> byName = new HashMap<>();
        logins.forEach((p, l) -> byName.put(p.name(), l));
        for (KafkaLogin login : List.of(byName.get(KafkaGrants.AUTOMATION), kafka.admin())) {
            OwnerOnlyFile.write(kafkaPropertiesFile(login.username()), login.propertiesFile());
            OwnerOnlyFile.write(options.workDir().resolve("kcat-" + login.username() + ".conf"),
                    login.librdkafkaFile());
        }
        return Map.copyOf(byName);
    }

    /**
     * The client properties file of a principal ({@code admin} or {@code automation}) in the stack's work dir; beside
     * it {@code kcat-<principal>.conf} holds the same login for kcat.
     */
    Path kafkaPropertiesFile(String principal) {
        return options.workDir().resolve("kafka-" + principal + ".properties");
    }

    /** Client settings for this stack's broker as its super user (the CLI and tests). */
    Map<String, Object> kafkaClient() {
        return kafka.clientProperties(kafka.admin());
    }

    /** Client settings for this stack's broker as one of its principals ({@code worker-<node>}, automation...). */
    Map<String, Object> kafkaClient(String principal) {
        KafkaLogin login = kafkaLogins.get(principal);
        if (login == null) {
            throw new IllegalArgumentException("no Kafka principal " + principal + " in this stack");
        }
        return kafka.clientProperties(login);
    }

    /** Where the services read their keys from; rewrite it to rotate them in the running stack. */
    Path serviceKeysFile() {
        return serviceKeysFile(options.workDir());
    }

    static Path serviceKeysFile(Path workDir) {
        return workDir.resolve("service-keys");
    }

    /** Writes the keys the services sign and verify caller tokens with, readable by this user only. */
    private void writeServiceKeys() throws IOException {
        Path file = serviceKeysFile();
        OwnerOnlyFile.write(file, serviceKeys + "\n");
        tokens = new io.crosstrain.auth.CallerTokens(io.crosstrain.auth.ServiceKeys.fromFile(file));
    }

    /**
     * A client of one service's own port (a worker's controls, the inventory) as the CLI's service identity: the
     * services answer only calls with a caller token.
     */
    ApiClient service(int port, tools.jackson.databind.json.JsonMapper mapper) {
        io.crosstrain.auth.CallerScope self = io.crosstrain.auth.CallerScope.service("cli");
        return new ApiClient("http://127.0.0.1:" + port, mapper, () -> tokens.sign(self));
    }

    /** CROSSTRAIN_ADMIN_KEY from the options or the environment; a fresh one, printed at start, when neither has. */
    private static String adminKeyOf(Options options) {
        String given = options.extraEnv().get(ADMIN_KEY_ENV);
        if (given == null || given.isBlank()) {
            given = System.getenv(ADMIN_KEY_ENV);
        }
        if (given != null && !given.isBlank()) {
            return given.strip();
        }
        byte[] random = new byte[32];
        new java.security.SecureRandom().nextBytes(random);
        return "ctk_" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    static final String ADMIN_KEY_ENV = "CROSSTRAIN_ADMIN_KEY";

    /** The bootstrap admin key the gateway of this stack accepts. */
    String adminKey() {
        return adminKey;
    }

    /** A client of this stack's gateway with the admin key. */
    ApiClient api(tools.jackson.databind.json.JsonMapper mapper) {
        return new ApiClient("http://127.0.0.1:" + options.gateway(), mapper, adminKey);
    }

    Options options() {
        return options;
    }

    List<ServiceProcess> services() {
        return List.copyOf(services);
    }

    /** Starts a stopped or killed service again and waits until it is healthy. */
    ServiceProcess restart(String name, Duration timeout) throws IOException, InterruptedException {
        ServiceProcess old = service(name);
        ServiceProcess fresh = old.restart();
        services.set(services.indexOf(old), fresh);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!fresh.healthy(http)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " not healthy " + timeout.toSeconds() + " s after a restart");
            }
            Thread.sleep(500);
        }
        return fresh;
    }

    /** Restarts the Kafka broker with its data; the services reconnect on their own. */
    void restartKafka(Duration downtime, Duration timeout) throws IOException, InterruptedException {
        kafka.restart(downtime, timeout);
    }

    /** Kills one broker (SIGKILL); the others keep every topic writable (min.insync.replicas 2 of 3). */
    void killBroker(int index) throws InterruptedException {
        kafka.kill(index);
    }

    /** Starts a killed broker again and waits until the cluster counts it. */
    void startBroker(int index, Duration timeout) throws IOException, InterruptedException {
        kafka.startBroker(index, timeout);
    }

    int kafkaBrokers() {
        return kafka.brokers();
    }

    String kafkaBootstrap() {
        return kafka.bootstrapServers();
    }

    /** The service started under this name, e.g. {@code worker-gy-node-0}. */
    ServiceProcess service(String name) {
        return services.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no service " + name + " in this stack"));
    }

    void start(Duration timeout) throws IOException, InterruptedException {
        requireFreePorts();
        // a DB_URL among the options (chaos's own cluster) wins over the environment's
        postgres = LocalPostgres.resolve(options.extraEnv().getOrDefault("DB_URL", System.getenv("DB_URL")),
                envOr("DB_USER", "postgres"), envOr("DB_PASSWORD", ""), options.database());
        out.println("  PostgreSQL  " + postgres.source() + " -> " + postgres.jdbcUrl());
        kafka = KafkaProcess.start(options.kafkaBrokers(), options.kafkaPort(), options.workDir(),
                Duration.ofMinutes(2));
        kafkaLogins = kafkaLogins();
        out.println("  Kafka       KRaft " + (kafka.brokers() == 1 ? "broker" : kafka.brokers() + " brokers") + " at "
                + kafka.bootstrapServers() + ", SASL/SCRAM-SHA-512; automation login in "
                + kafkaPropertiesFile(KafkaGrants.AUTOMATION));
        Files.createDirectories(options.workDir().resolve("data"));

        Map<String, String> env = new HashMap<>();
        env.put("KAFKA_BOOTSTRAP", kafka.bootstrapServers());
        env.put("DB_URL", postgres.jdbcUrl());
        env.put("DB_USER", postgres.username());
        env.put("DB_PASSWORD", postgres.password());
        dbLogins = serviceRoles();
        env.put("CROSSTRAIN_DATA_DIR", options.workDir().resolve("data").toString());
        // checkpoints on the local disk (every service of this stack shares the machine) or in S3Proxy beside it
        env.put("CROSSTRAIN_CHECKPOINTS_DIR", options.workDir().resolve("checkpoints").toString());
        if ("s3".equals(options.checkpointStore())) {
            s3 = S3ProxyProcess.start(options.home(), options.workDir(), options.s3(), Duration.ofMinutes(1));
            env.putAll(s3.serviceEnv());
            out.println("  Checkpoints S3Proxy at " + s3.endpoint() + ", bucket " + S3ProxyProcess.BUCKET);
        } else {
            out.println("  Checkpoints " + options.workDir().resolve("checkpoints"));
        }
        env.put("INVENTORY_URL", "http://127.0.0.1:" + options.inventory());
        env.put("JOB_API_URL", "http://127.0.0.1:" + options.jobApi());
        env.put("SCHEDULER_URL", "http://127.0.0.1:" + options.scheduler());
        env.put("GATEWAY_URL", "http://127.0.0.1:" + options.gateway()); // job-api checks commands' credentials there
        env.put("OMP_NUM_THREADS", "1");
        // only the gateway, which checks credentials, listens beyond this machine
        env.put("SERVER_ADDRESS", "127.0.0.1");
        env.putAll(options.extraEnv());
        env.put(ADMIN_KEY_ENV, adminKey);
        writeServiceKeys();
        env.put("CROSSTRAIN_SERVICE_KEYS_FILE", serviceKeysFile().toString());
        if (!adminKey.equals(System.getenv(ADMIN_KEY_ENV)) && !options.extraEnv().containsKey(ADMIN_KEY_ENV)) {
            out.println("  Admin key   " + adminKey + "  (generated: CROSSTRAIN_ADMIN_KEY was not set)");
        }
        Path logs = options.workDir().resolve("logs");

        // workers first: their calibration is the longest part of start-up
        List<DemoCluster.Node> nodes = options.cluster().nodes();
        for (int i = 0; i < nodes.size(); i++) {
            DemoCluster.Node node = nodes.get(i);
            List<String> jvm = new ArrayList<>(HOT_JVM);
            jvm.addAll(List.of("-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1",
                    "-Dai.djl.pytorch.num_interop_threads=1"));
            services.add(ServiceProcess.start("worker-" + node.id(), jar("services/gpu-worker"), options.worker(i),
                    jvm, envOf("worker-" + node.id(), env), List.of("--crosstrain.worker.node-id=" + node.id(),
                            "--crosstrain.worker.datacenter=" + node.datacenter(),
                            "--crosstrain.worker.devices=" + String.join(",",
                                    node.devices().stream().map(DemoCluster.Device::spec).toList())), logs));
        }
        List<DemoCluster.Datacenter> dcs = options.cluster().datacenters();
        for (int i = 0; i < dcs.size(); i++) {
            services.add(ServiceProcess.start("relay-" + dcs.get(i).id(), jar("services/gradient-relay"),
                    options.relay(i), HOT_JVM, envOf("relay-" + dcs.get(i).id(), env),
                    List.of("--crosstrain.relay.datacenter=" + dcs.get(i).id()), logs));
        }
        services.add(ServiceProcess.start("device-inventory", jar("services/device-inventory"), options.inventory(),
                LIGHT_JVM, envOf("device-inventory", env), List.of(), logs));
        services.add(ServiceProcess.start("job-api", jar("services/job-api"), options.jobApi(), LIGHT_JVM,
                envOf("job-api", env), List.of(), logs));
        services.add(ServiceProcess.start("scheduler", jar("services/scheduler"), options.scheduler(), LIGHT_JVM,
                envOf("scheduler", env), List.of(), logs));
        services.add(ServiceProcess.start("gateway", jar("gateway"), options.gateway(), LIGHT_JVM,
                envOf("gateway", env), List.of("--server.address=0.0.0.0"), logs));
        awaitHealthy(timeout);
    }

    private void awaitHealthy(Duration timeout) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        List<ServiceProcess> pending = new ArrayList<>(services);
        while (!pending.isEmpty()) {
            pending.removeIf(s -> s.healthy(http));
            if (pending.isEmpty()) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not healthy after " + timeout.toSeconds() + " s: "
                        + pending.stream().map(s -> s.name() + " (" + s.log() + ")").toList());
            }
            Thread.sleep(500);
        }
    }

    private void requireFreePorts() {
        List<Integer> ports = new ArrayList<>(List.of(options.gateway(), options.inventory(), options.jobApi(),
                options.scheduler()));
        for (int i = 0; i < options.cluster().datacenters().size(); i++) {
            ports.add(options.relay(i));
        }
        for (int i = 0; i < options.cluster().nodes().size(); i++) {
            ports.add(options.worker(i));
        }
        if (options.kafkaPort() > 0) {
            ports.add(options.kafkaPort());
        }
        if ("s3".equals(options.checkpointStore())) {
            ports.add(options.s3());
        }
        for (int port : ports) {
            try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
            } catch (IOException e) {
                throw new IllegalStateException("port " + port + " is in use: stop what runs there (another "
                        + "./crosstrain up?) or pass --port-base");
            }
        }
    }

    Path jar(String module) throws IOException {
        Path target = options.home().resolve(module).resolve("target");
        if (Files.isDirectory(target)) {
            try (DirectoryStream<Path> jars = Files.newDirectoryStream(target, "*-exec.jar")) {
                for (Path p : jars) {
                    return p;
                }
            }
        }
        throw new IllegalStateException("no executable jar in " + target + ": run ./mvnw -B -DskipTests package");
    }

    private static String envOr(String name, String fallback) {
        String v = System.getenv(name);
        return v == null ? fallback : v;
    }

    @Override
    public void close() {
        // ask every service to stop at once, then wait: a sequential stop would take seconds per service
        services.forEach(ServiceProcess::stopAsync);
        services.forEach(ServiceProcess::close);
        // the broker goes last so services can leave their consumer groups cleanly
        if (kafka != null) {
            kafka.close();
        }
        if (s3 != null) {
            s3.close();
        }
        if (postgres != null) {
            try {
                postgres.close();
            } catch (IOException e) {
                out.println("could not stop embedded PostgreSQL: " + e.getMessage());
            }
        }
    }
}
