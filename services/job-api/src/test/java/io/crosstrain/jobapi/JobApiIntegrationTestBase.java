package io.crosstrain.jobapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.assertj.MockMvcTester;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

import io.crosstrain.contracts.JobCommand;
import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.Topics;
import io.crosstrain.jobapi.domain.Fixtures;
import io.crosstrain.testsupport.RealInfra;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole service against a real KRaft broker and a fresh PostgreSQL database: the setup and the helpers its
 * integration tests share. They all run in the one application context this configuration makes (Spring caches it).
 */
// no gateway here: a command with an API key finds none at the discard port and is rejected after the short wait
@SpringBootTest(properties = {"server.port=0", "crosstrain.job-api.metrics.eta-interval-ms=200",
        "crosstrain.job-api.gateway-url=http://127.0.0.1:9", "crosstrain.job-api.gateway-wait=1s"})
@AutoConfigureMockMvc
abstract class JobApiIntegrationTestBase {

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        RealInfra.registerKafka(r);
        RealInfra.registerPostgres(r);
        r.add("crosstrain.job-api.data-dir", () -> DATA_DIR.toString());
        r.add("crosstrain.checkpoints.store", () -> "local");
        r.add("crosstrain.checkpoints.dir", () -> CHECKPOINT_DIR.toString());
    }

    static final java.nio.file.Path DATA_DIR = java.nio.file.Path.of("target", "job-api-data-" + UUID.randomUUID())
            .toAbsolutePath();
    /** The checkpoint store: a local directory, as the workers of a single machine share it. */
    static final java.nio.file.Path CHECKPOINT_DIR = java.nio.file.Path.of("target",
            "job-api-checkpoints-" + UUID.randomUUID()).toAbsolutePath();

    static KafkaProducer<String, String> producer;
    static KafkaConsumer<String, String> events;
    static final List<ConsumerRecord<String, String>> received = new CopyOnWriteArrayList<>();

    @Autowired
    MockMvcTester mvc;
    @Autowired
    JsonMapper json;
    @Autowired
    JdbcClient jdbc;

    @BeforeAll
    static void kafkaClients() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, RealInfra.kafkaBootstrap());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(p);
        // each test class reads the job events afresh, from the start of the topic
        received.clear();
        events = consumer(Topics.JOB_EVENTS);
    }

    @AfterAll
    static void closeClients() {
        producer.close();
        events.close();
    }

    long rows() {
        return jdbc.sql("""
                select (select count(*) from job_api.jobs) + (select count(*) from job_api.job_history)
                     + (select count(*) from job_api.outbox)""").query(Long.class).single();
    }

    MvcTestResult submit(JobSpec spec) {
        return post(json.writeValueAsString(spec));
    }

    MvcTestResult post(String body) {
        return mvc.post().uri("/api/v1/jobs").contentType(MediaType.APPLICATION_JSON).content(body).exchange();
    }

    static <T extends org.springframework.test.web.servlet.assertj.MockMvcTester.MockMvcRequestBuilder> T as(
            T request, String tenant, String role) {
        request.header("Authorization", io.crosstrain.testsupport.TestCallers.bearer(tenant, role));
        return request;
    }

    MvcTestResult submitAs(String tenant, String role, JobSpec spec, String idempotencyKey) {
        var request = as(mvc.post().uri("/api/v1/jobs").contentType(MediaType.APPLICATION_JSON)
                .content(json.writeValueAsString(spec)), tenant, role);
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return request.exchange();
    }

    UUID submittedAs(String tenant, String role, JobSpec spec, String idempotencyKey) {
        MvcTestResult created = submitAs(tenant, role, spec, idempotencyKey);
        assertThat(created).hasStatus(201);
        return UUID.fromString(body(created).path("id").asString());
    }

    /** A field of each element of a JSON array, not of anything nested in them. */
    static List<String> top(JsonNode array, String field) {
        List<String> values = new java.util.ArrayList<>();
        for (JsonNode element : array) {
            values.add(element.path(field).asString());
        }
        return values;
    }

    UUID submitted(String name) {
        MvcTestResult created = submit(Fixtures.spec(name));
        assertThat(created).hasStatus(201);
        return UUID.fromString(body(created).path("id").asString());
    }

    JsonNode get(String uri) {
        MvcTestResult result = mvc.get().uri(uri).exchange();
        assertThat(result).hasStatusOk();
        return body(result);
    }

    JsonNode awaitState(UUID id, String... acceptable) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            last[0] = get("/api/v1/jobs/" + id);
            assertThat(last[0].path("state").asString()).isIn((Object[]) acceptable);
        });
        return last[0];
    }

    JsonNode assertProblem(MvcTestResult result, int status) {
        assertThat(result).hasStatus(status).hasContentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        JsonNode problem = body(result);
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        if (status == 400 && problem.has("field")) {
            assertThat(problem.path("errors").findValuesAsString("field")).contains(problem.path("field").asString());
        }
        return problem;
    }

    JsonNode body(MvcTestResult result) {
        try {
            return json.readTree(result.getResponse().getContentAsString());
        } catch (UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    JobEvent awaitEvent(Predicate<JobEvent> wanted) {
        JsonMapper lenient = json.rebuild().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
        JobEvent[] found = new JobEvent[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            synchronized (events) {
                events.poll(Duration.ofMillis(100)).forEach(received::add);
            }
            for (ConsumerRecord<String, String> r : received) {
                JobEvent e = lenient.readValue(r.value(), JobEvent.class);
                if (wanted.test(e)) {
                    found[0] = e;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    String prometheus() {
        MvcTestResult r = mvc.get().uri("/actuator/prometheus").exchange();
        assertThat(r).hasStatusOk();
        try {
            return r.getResponse().getContentAsString();
        } catch (UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    static void publish(String topic, UUID key, String value) {
        try {
            producer.send(new ProducerRecord<>(topic, key.toString(), value)).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A job command with a credential header, as a client (or the scheduler) sends it. */
    static void command(JobCommand command, io.crosstrain.auth.CallerScope sender) {
        command(command, sender == null ? null : io.crosstrain.testsupport.TestCallers.token(sender));
    }

    static void command(JobCommand command, String credential) {
        ProducerRecord<String, String> record = new ProducerRecord<>(Topics.JOB_COMMANDS,
                command.jobId() == null ? null : command.jobId().toString(), JSON.writeValueAsString(command));
        if (credential != null) {
            record.headers().add(JobCommand.CREDENTIAL_HEADER, credential.getBytes(StandardCharsets.UTF_8));
        }
        try {
            producer.send(record).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    static KafkaConsumer<String, String> consumer(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, RealInfra.kafkaBootstrap());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        KafkaConsumer<String, String> c = new KafkaConsumer<>(p);
        c.subscribe(List.of(topic));
        return c;
    }
}
