package io.crosstrain.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import com.sun.net.httpserver.HttpServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.JobCommand;
import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.Topics;
import io.crosstrain.testsupport.RealInfra;
import io.crosstrain.testsupport.TestCallers;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole scheduler against a real KRaft broker and a fresh PostgreSQL database. device-inventory is another
 * service, so its REST API is played by a JDK HTTP server answering a device list the test controls. Every flow test
 * class extends this one, so all share one application context (one scheduler on the broker and the database); the
 * inventory server lives as long as the test JVM for the same reason.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "crosstrain.scheduler.device-wait=3s",
        "crosstrain.scheduler.device-poll=200ms",
        "crosstrain.scheduler.republish-after=3s",
        "crosstrain.scheduler.sweep-initial-delay-ms=500",
        "crosstrain.scheduler.sweep-interval-ms=500",
        "crosstrain.scheduler.admission-interval-ms=200",
        "crosstrain.scheduler.orphan-after=3s",
        "crosstrain.scheduler.orphan-steps=0",
        "crosstrain.scheduler.heartbeat-fresh=5s",
        "crosstrain.scheduler.orphan-initial-delay-ms=500",
        "crosstrain.scheduler.orphan-check-interval-ms=300"})
abstract class SchedulerFlowBase {

    static final Duration WAIT = Duration.ofSeconds(30);

    static final String BASE_DEVICES = """
            {"id":"bj-0","nodeId":"bj-node-0","datacenter":"bj","chip":"A100-80G","labels":{"rack":"r1"},
             "status":"HEALTHY","lastHeartbeat":"2026-01-01T00:00:00Z","mode":"emulated","cpuFlopsPerSec":2.0e9,
             "hostCores":2,"catalogue":{"name":"A100-80G","tflops":312}},
            {"id":"sh-0","nodeId":"sh-node-0","datacenter":"sh","chip":"H20","labels":{},"status":"HEALTHY",
             "lastHeartbeat":"2026-01-01T00:00:00Z","mode":"emulated","cpuFlopsPerSec":2.5e9,"hostCores":2,
             "catalogue":{"name":"H20","tflops":148}},
            {"id":"gy-0","nodeId":"gy-node-0","datacenter":"gy","chip":"Ascend-910B","labels":{},"status":"HEALTHY",
             "lastHeartbeat":"2026-01-01T00:00:00Z","mode":"emulated","cpuFlopsPerSec":1.5e9,"hostCores":2,
             "catalogue":{"name":"Ascend-910B","tflops":320}},
            {"id":"tpu-0","nodeId":"x-node-0","datacenter":"bj","chip":"TPU-v9","labels":{},"status":"HEALTHY",
             "lastHeartbeat":"2026-01-01T00:00:00Z","mode":"emulated","cpuFlopsPerSec":2.0e9,"hostCores":2,
             "catalogue":null},
            {"id":"sh-1","nodeId":"sh-node-1","datacenter":"sh","chip":"H20","labels":{},"status":"STALE",
             "lastHeartbeat":"2025-12-31T00:00:00Z","mode":"emulated","cpuFlopsPerSec":2.5e9,"hostCores":2,
             "catalogue":null}""";

    static final AtomicReference<String> DEVICES = new AtomicReference<>("[" + BASE_DEVICES + "]");
    static final AtomicInteger INVENTORY_CALLS = new AtomicInteger();
    static final HttpServer INVENTORY = inventoryFixture();

    @Autowired
    JsonMapper json;

    @Autowired
    JdbcClient jdbc;

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        RealInfra.registerKafka(r);
        RealInfra.registerPostgres(r);
        r.add("crosstrain.scheduler.inventory-url", () -> "http://127.0.0.1:" + INVENTORY.getAddress().getPort());
    }

    /** Jobs of one test must not hold the fixture's devices in the next: mark every planned job finished. */
    @org.junit.jupiter.api.AfterEach
    void finishPlannedJobs() {
        jdbc.sql("""
                        INSERT INTO scheduler.job_states (job_id, state)
                        SELECT DISTINCT job_id, 'SUCCEEDED' FROM scheduler.plans
                        ON CONFLICT (job_id) DO UPDATE SET state = 'SUCCEEDED'""").update();
    }

    // ---- helpers ----

    String submitted(UUID jobId, List<String> devices, int globalBatch) {
        return submitted(jobId, devices, globalBatch, null);
    }

    /** @param tenant the owner; null for the default tenant */
    String submitted(UUID jobId, List<String> devices, int globalBatch, String tenant) {
        JobSpec spec = new JobSpec("flow", ModelSpec.demo(), DatasetSpec.bundled(), 5, globalBatch, 1e-3, 42L,
                "diloco", JobSpec.BALANCED, devices, null, null, 0);
        if (tenant != null) {
            spec = spec.withTenant(tenant);
        }
        return json.writeValueAsString(new JobEvent(UUID.randomUUID(), jobId, JobEvent.SUBMITTED, JobState.PENDING,
                spec, null, Instant.now()));
    }

    RecordMetadata send(String eventJson) throws Exception {
        return send(json.readValue(eventJson, JobEvent.class).jobId().toString(), eventJson);
    }

    RecordMetadata send(String key, String value) throws Exception {
        return sendTo(Topics.JOB_EVENTS, key, value);
    }

    static RecordMetadata sendTo(String topic, String key, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, RealInfra.kafkaBootstrap(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            return producer.send(new ProducerRecord<>(topic, key, value)).get();
        }
    }

    Plan awaitPlan(UUID jobId) {
        List<ConsumerRecord<String, String>> found = new ArrayList<>();
        await().atMost(WAIT).untilAsserted(() -> {
            found.clear();
            found.addAll(records(Topics.PLANS, jobId));
            assertThat(found).isNotEmpty();
        });
        return json.readValue(found.get(0).value(), Plan.class);
    }

    JobCommand awaitFailure(UUID jobId) {
        List<ConsumerRecord<String, String>> found = new ArrayList<>();
        await().atMost(WAIT).untilAsserted(() -> {
            found.clear();
            found.addAll(records(Topics.JOB_COMMANDS, jobId));
            assertThat(found).isNotEmpty();
        });
        assertThat(found).hasSize(1);
        JobCommand command = json.readValue(found.get(0).value(), JobCommand.class);
        assertThat(command.jobId()).isEqualTo(jobId);
        return command;
    }

    /** Every record currently in the topic with this key, read from the beginning. */
    static List<ConsumerRecord<String, String>> records(String topic, UUID key) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, RealInfra.kafkaBootstrap(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"), new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(5)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<ConsumerRecord<String, String>> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))
                    && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (key.toString().equals(r.key())) {
                        out.add(r);
                    }
                });
            }
            return out;
        }
    }

    /** Waits until the scheduler's consumer group has committed past this record. */
    static void awaitConsumed(RecordMetadata record) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, RealInfra.kafkaBootstrap()))) {
            await().atMost(WAIT).untilAsserted(() -> {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("scheduler")
                        .partitionsToOffsetAndMetadata().get();
                assertThat(committed.get(tp)).isNotNull();
                assertThat(committed.get(tp).offset()).isGreaterThan(record.offset());
            });
        }
    }

    /** A GET as the gateway forwards an admin. */
    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return getAs(path, "default", "admin");
    }

    /** A GET as the gateway forwards a caller of {@code tenant} with {@code role}. */
    HttpResponse<String> getAs(String path, String tenant, String role) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .header("Authorization", TestCallers.bearer(tenant, role)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static boolean fromScheduler(String authorization) {
        try {
            return authorization != null && TestCallers.tokens().verify(authorization.replaceFirst("^Bearer ", ""))
                    .principal().equals("service:scheduler");
        } catch (io.crosstrain.auth.InvalidCallerTokenException e) {
            return false;
        }
    }

    private static HttpServer inventoryFixture() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/api/v1/devices", exchange -> {
                INVENTORY_CALLS.incrementAndGet();
                // as the inventory does: only the scheduler's own caller token is answered
                if (!fromScheduler(exchange.getRequestHeaders().getFirst("Authorization"))) {
                    exchange.sendResponseHeaders(401, -1);
                    exchange.close();
                    return;
                }
                byte[] body = DEVICES.get().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
            return server;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
