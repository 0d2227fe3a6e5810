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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
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
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.Topics;
import io.crosstrain.testsupport.RealInfra;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole scheduler against a real KRaft broker and a fresh PostgreSQL database. device-inventory is another
 * service, so its REST API is played by a JDK HTTP server answering a device list the test controls.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "crosstrain.scheduler.device-wait=3s",
        "crosstrain.scheduler.device-poll=200ms",
        "crosstrain.scheduler.republish-after=3s",
        "crosstrain.scheduler.sweep-initial-delay-ms=500",
        "crosstrain.scheduler.sweep-interval-ms=500",
        "crosstrain.scheduler.admission-interval-ms=200"})
class SchedulerFlowTest {

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

    @Test
    void aJobWaitsInTheQueueWhileAnotherHoldsItsDevicesAndStartsWhenThatOneFinishes() throws Exception {
        UUID first = UUID.randomUUID();
        send(submitted(first, List.of("bj-0", "sh-0"), 8));
        awaitPlan(first);
        UUID second = UUID.randomUUID();
        send(submitted(second, List.of("sh-0", "gy-0"), 8));

        await().atMost(WAIT).untilAsserted(() -> {
            HttpResponse<String> queue = get("/api/v1/queue");
            assertThat(queue.statusCode()).isEqualTo(200);
            assertThat(queue.body()).contains(second.toString()).contains("busy").contains(first.toString());
        });
        assertThat(records(Topics.PLANS, second)).isEmpty();

        send(first.toString(), json.writeValueAsString(new JobEvent(UUID.randomUUID(), first,
                JobEvent.STATE_CHANGED, JobState.SUCCEEDED, null, "done", Instant.now())));
        Plan plan = awaitPlan(second);
        assertThat(plan.devices()).extracting(PlanDevice::deviceId).containsExactlyInAnyOrder("sh-0", "gy-0");
        assertThat(get("/api/v1/queue").body()).doesNotContain(second.toString());
    }

    @AfterAll
    static void stopFixture() {
        INVENTORY.stop(0);
    }

    @Test
    void aSubmittedJobGetsAPlanThatIsStoredPublishedAndServed() throws Exception {
        UUID jobId = UUID.randomUUID();
        send(submitted(jobId, List.of("bj-0", "sh-0", "gy-0"), 32));

        Plan plan = awaitPlan(jobId);

        assertThat(plan.planVersion()).isEqualTo(1);
        assertThat(plan.globalBatch()).isEqualTo(32);
        assertThat(plan.devices().stream().mapToInt(PlanDevice::batch).sum()).isEqualTo(32);
        assertThat(plan.datacenters()).containsExactly("bj", "gy", "sh");
        assertThat(plan.devices()).extracting(PlanDevice::deviceId).containsExactlyInAnyOrder("bj-0", "sh-0", "gy-0");
        assertThat(plan.timeScale()).isPositive();
        assertThat(plan.devices()).allSatisfy(d -> assertThat(d.pacedStepSeconds()).isPositive());
        assertThat(plan.mode()).isEqualTo(Plan.EMULATED);
        assertThat(plan.model()).isEqualTo(ModelSpec.demo());
        assertThat(plan.hashEvery()).isEqualTo(10);
        // the bundled corpus has 66 characters: the plan knows that without reading it
        assertThat(plan.predicted().wanBytesPerStep()).isEqualTo(6L * ModelSpec.demo().parameters(66) * 4);

        await().atMost(WAIT).untilAsserted(() -> assertThat(jdbc.sql(
                        "SELECT published FROM scheduler.plans WHERE job_id = :j").param("j", jobId)
                .query(Boolean.class).single()).isTrue());

        HttpResponse<String> ok = get("/api/v1/plans/" + jobId);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(json.readValue(ok.body(), Plan.class)).isEqualTo(plan);
    }

    @Test
    void prometheusShowsTheQueueDepth() throws Exception {
        HttpResponse<String> scrape = get("/actuator/prometheus");
        assertThat(scrape.statusCode()).isEqualTo(200);
        // the figure itself depends on the other tests' jobs: the series must be there, read from the queue table
        assertThat(scrape.body()).contains("# TYPE crosstrain_scheduler_queue_depth gauge",
                "crosstrain_scheduler_queue_depth{application=\"scheduler\"} ");
    }

    @Test
    void theSameEventTwiceYieldsOnePlan() throws Exception {
        UUID jobId = UUID.randomUUID();
        String event = submitted(jobId, List.of("bj-0", "sh-0"), 16);

        send(event);
        RecordMetadata second = send(event);
        awaitPlan(jobId);
        awaitConsumed(second);

        assertThat(records(Topics.PLANS, jobId)).hasSize(1);
        assertThat(jdbc.sql("SELECT count(*) FROM scheduler.plans WHERE job_id = :j").param("j", jobId)
                .query(Long.class).single()).isEqualTo(1L);
    }

    @Test
    void aJobOnAnUnknownChipIsFailedWithTheReason() throws Exception {
        UUID jobId = UUID.randomUUID();
        send(submitted(jobId, List.of("tpu-0"), 8));

        JobCommand command = awaitFailure(jobId);

        assertThat(command.type()).isEqualTo(JobCommand.FAIL);
        assertThat(command.spec()).isNull();
        assertThat(command.reason()).contains("tpu-0", "TPU-v9");
        assertThat(records(Topics.PLANS, jobId)).isEmpty();
        assertThat(get("/api/v1/plans/" + jobId).statusCode()).isEqualTo(404);
    }

    @Test
    void aJobWhoseDevicesNeverBecomeReadyIsFailedAfterTheWait() throws Exception {
        UUID jobId = UUID.randomUUID();
        send(submitted(jobId, List.of("bj-0", "sh-1", "ghost-7"), 8));

        JobCommand command = awaitFailure(jobId);

        assertThat(command.reason())
                .startsWith("devices not ready after 3 s")
                .contains("device sh-1 is STALE, not HEALTHY", "device ghost-7 is not registered")
                .doesNotContain("bj-0");
    }

    @Test
    void aJobWaitsForADeviceThatIsStillCalibrating() throws Exception {
        String late = """
                {"id":"late-0","nodeId":"late-node","datacenter":"wh","chip":"L20","status":"HEALTHY",
                 "mode":"emulated","cpuFlopsPerSec":%s,"hostCores":2}""";
        DEVICES.set("[" + BASE_DEVICES + "," + late.formatted("0") + "]");
        UUID jobId = UUID.randomUUID();
        int before = INVENTORY_CALLS.get();
        send(submitted(jobId, List.of("late-0", "bj-0"), 8));
        // the scheduler has looked twice and found late-0 still calibrating: it must not have planned yet
        await().atMost(WAIT).until(() -> INVENTORY_CALLS.get() >= before + 2);
        assertThat(records(Topics.PLANS, jobId)).isEmpty();
        DEVICES.set("[" + BASE_DEVICES + "," + late.formatted("1.0e9") + "]");

        Plan plan = awaitPlan(jobId);

        assertThat(plan.datacenters()).containsExactly("bj", "wh");
        assertThat(plan.devices().stream().mapToInt(PlanDevice::batch).sum()).isEqualTo(8);
    }

    @Test
    void malformedEventsGoToTheDeadLetterTopicAndTheConsumerCarriesOn() throws Exception {
        UUID jobId = UUID.randomUUID();
        send(jobId.toString(), "{ this is not json");
        send(jobId.toString(), json.writeValueAsString(
                new JobEvent(UUID.randomUUID(), jobId, JobEvent.SUBMITTED, JobState.PENDING, null, null, Instant.now())));
        send(submitted(jobId, List.of("bj-0"), 4));

        await().atMost(WAIT).untilAsserted(() -> assertThat(records(Topics.deadLetter(Topics.JOB_EVENTS), jobId))
                .extracting(ConsumerRecord::value)
                .hasSize(2)
                .first().isEqualTo("{ this is not json"));
        assertThat(awaitPlan(jobId).devices()).hasSize(1);
    }

    @Test
    void decisionsCommittedButNeverPublishedAreRepublished() {
        UUID planned = UUID.randomUUID();
        UUID failed = UUID.randomUUID();
        Plan plan = new Plan(planned, 1, "diloco", JobSpec.BALANCED, Plan.EMULATED, 0.5, ModelSpec.demo(),
                DatasetSpec.bundled(), 3, 2, 1e-3, 1L, 10, List.of("bj"),
                List.of(new PlanDevice("bj-0", "bj-node-0", "bj", "A100-80G", 0, 2, 1, 100.0, 0.04)),
                new Plan.Prediction(0.04, 1.0, 1.0, 0L));
        // as if the scheduler had crashed between the commit and the send
        jdbc.sql("""
                        INSERT INTO scheduler.plans (job_id, plan_version, plan, created_at)
                        VALUES (:j, 1, CAST(:p AS jsonb), now() - interval '1 hour')""")
                .param("j", planned).param("p", json.writeValueAsString(plan)).update();
        jdbc.sql("""
                        INSERT INTO scheduler.job_failures (job_id, reason, created_at)
                        VALUES (:j, 'no feasible plan: test', now() - interval '1 hour')""")
                .param("j", failed).update();

        assertThat(awaitPlan(planned)).isEqualTo(plan);
        assertThat(awaitFailure(failed).reason()).isEqualTo("no feasible plan: test");
        await().atMost(WAIT).untilAsserted(() -> assertThat(jdbc.sql("""
                        SELECT count(*) FROM scheduler.plans p, scheduler.job_failures f
                        WHERE p.job_id = :p AND f.job_id = :f AND p.published AND f.published""")
                .param("p", planned).param("f", failed).query(Long.class).single()).isEqualTo(1L));
    }

    @Test
    void missingOrMalformedJobIdsAnswerWithProblemDetails() throws Exception {
        HttpResponse<String> missing = get("/api/v1/plans/" + UUID.randomUUID());
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("Content-Type")).hasValueSatisfying(
                ct -> assertThat(ct).startsWith("application/problem+json"));
        assertThat(missing.body()).contains("\"field\":\"jobId\"");

        HttpResponse<String> malformed = get("/api/v1/plans/not-a-uuid");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.body()).contains("\"field\":\"jobId\"", "not a UUID");
    }

    // ---- helpers ----

    private String submitted(UUID jobId, List<String> devices, int globalBatch) {
        JobSpec spec = new JobSpec("flow", ModelSpec.demo(), DatasetSpec.bundled(), 5, globalBatch, 1e-3, 42L,
                "diloco", JobSpec.BALANCED, devices, null, null, 0);
        return json.writeValueAsString(new JobEvent(UUID.randomUUID(), jobId, JobEvent.SUBMITTED, JobState.PENDING,
                spec, null, Instant.now()));
    }

    private RecordMetadata send(String eventJson) throws Exception {
        return send(json.readValue(eventJson, JobEvent.class).jobId().toString(), eventJson);
    }

    private RecordMetadata send(String key, String value) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, RealInfra.kafkaBootstrap(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            return producer.send(new ProducerRecord<>(Topics.JOB_EVENTS, key, value)).get();
        }
    }

    private Plan awaitPlan(UUID jobId) {
        List<ConsumerRecord<String, String>> found = new ArrayList<>();
        await().atMost(WAIT).untilAsserted(() -> {
            found.clear();
            found.addAll(records(Topics.PLANS, jobId));
            assertThat(found).isNotEmpty();
        });
        return json.readValue(found.get(0).value(), Plan.class);
    }

    private JobCommand awaitFailure(UUID jobId) {
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
    private static List<ConsumerRecord<String, String>> records(String topic, UUID key) {
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
    private static void awaitConsumed(RecordMetadata record) {
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

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpServer inventoryFixture() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/api/v1/devices", exchange -> {
                INVENTORY_CALLS.incrementAndGet();
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
