package io.crosstrain.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

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
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.assertj.MockMvcTester;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

import io.crosstrain.contracts.Heartbeat;
import io.crosstrain.contracts.Topics;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.testsupport.RealInfra;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The whole service against a real KRaft broker and a fresh PostgreSQL database. */
@SpringBootTest(properties = "server.port=0")
@AutoConfigureMockMvc
class InventoryIntegrationTest {

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        RealInfra.registerKafka(r);
        RealInfra.registerPostgres(r);
    }

    static KafkaProducer<String, String> producer;

    @Autowired
    MockMvcTester mvc;
    @Autowired
    JsonMapper json;

    final String chip = ChipCatalogue.defaults().all().get(0).name();

    @BeforeAll
    static void producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, RealInfra.kafkaBootstrap());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(p);
    }

    @AfterAll
    static void close() {
        producer.close();
    }

    @Test
    void registersDatacentersAndDevices() throws Exception {
        assertThat(postDc("{\"id\":\"reg-dc\",\"name\":\"Beijing\",\"region\":\"cn-north\"}"))
                .hasStatus(201)
                .headers().hasValue("Location", "/api/v1/datacenters/reg-dc");
        assertThat(mvc.get().uri("/api/v1/datacenters")).hasStatusOk().bodyJson()
                .extractingPath("$[*].id").asArray().contains("reg-dc");

        assertThat(postDevice("{\"id\":\"reg-gpu-0\",\"nodeId\":\"reg-node\",\"datacenter\":\"reg-dc\",\"chip\":\""
                + chip + "\",\"labels\":{\"rack\":\"r7\"}}"))
                .hasStatus(201)
                .headers().hasValue("Location", "/api/v1/devices/reg-gpu-0");

        JsonNode device = body(mvc.get().uri("/api/v1/devices/reg-gpu-0").exchange());
        assertThat(device.path("nodeId").asString()).isEqualTo("reg-node");
        assertThat(device.path("datacenter").asString()).isEqualTo("reg-dc");
        assertThat(device.path("chip").asString()).isEqualTo(chip);
        assertThat(device.path("labels").path("rack").asString()).isEqualTo("r7");
        assertThat(device.path("status").asString()).isEqualTo("UNKNOWN");
        assertThat(device.path("lastHeartbeat").isNull()).isTrue();
        assertThat(device.path("catalogue").path("tflops").asDouble())
                .isEqualTo(ChipCatalogue.defaults().get(chip).tflops());
        assertThat(device.path("catalogue").has("memoryGb")).isTrue();
        assertThat(device.path("catalogue").has("memBandwidthTBps")).isTrue();

        // the node now exists and a second device can join it
        assertThat(postDevice(deviceJson("reg-gpu-1", "reg-node", "reg-dc", chip))).hasStatus(201);
        assertThat(mvc.get().uri("/api/v1/devices?datacenter=reg-dc")).hasStatusOk().bodyJson()
                .extractingPath("$[*].id").asArray().containsExactly("reg-gpu-0", "reg-gpu-1");
        assertThat(mvc.get().uri("/api/v1/devices?datacenter=nowhere")).hasStatusOk().bodyJson()
                .extractingPath("$.length()").isEqualTo(0);
        assertThat(mvc.get().uri("/actuator/health")).hasStatusOk().bodyJson()
                .extractingPath("$.status").isEqualTo("UP");
    }

    @Test
    void rejectsBadRegistrationsWithProblemsNamingTheField() throws Exception {
        assertThat(postDc("{\"id\":\"val-dc\"}")).hasStatus(201);
        problem(postDc("{\"id\":\"val-dc\"}"), 409, "id");
        problem(postDc("{\"id\":\"Not_Valid\"}"), 400, "id");
        problem(postDc("{\"id\":\"val-dc2\",\"colour\":\"red\"}"), 400, "colour");

        problem(postDevice(deviceJson("val-gpu", "val-node", "val-dc", "no-such-chip")), 400, "chip");
        problem(postDevice(deviceJson("val-gpu", "val-node", "ghost-dc", chip)), 422, "datacenter");
        problem(postDevice(deviceJson("BAD ID", "val-node", "val-dc", chip)), 400, "id");
        problem(postDevice("{\"id\":\"val-gpu\",\"nodeId\":\"val-node\",\"datacenter\":\"val-dc\",\"chip\":\""
                + chip + "\",\"gpuCount\":8}"), 400, "gpuCount");
        problem(postDevice("{\"id\":\"val-gpu\",\"nodeId\":\"val-node\",\"datacenter\":\"val-dc\",\"chip\":\""
                + chip + "\",\"labels\":{\"a\":{\"nested\":1}}}"), 400, "labels.a");

        assertThat(postDevice(deviceJson("val-gpu", "val-node", "val-dc", chip))).hasStatus(201);
        problem(postDevice(deviceJson("val-gpu", "val-node", "val-dc", chip)), 409, "id");

        assertThat(postDc("{\"id\":\"val-other\"}")).hasStatus(201);
        problem(postDevice(deviceJson("val-gpu-2", "val-node", "val-other", chip)), 422, "nodeId");

        MvcTestResult missing = mvc.get().uri("/api/v1/devices/nope").exchange();
        assertThat(missing).hasStatus(404).hasContentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        // nothing of the rejected requests was stored
        assertThat(mvc.get().uri("/api/v1/devices?datacenter=val-dc")).bodyJson()
                .extractingPath("$[*].id").asArray().containsExactly("val-gpu");
    }

    @Test
    void heartbeatsDriveHealthAndMalformedOnesAreDeadLettered() throws Exception {
        assertThat(postDc("{\"id\":\"hb-dc\"}")).hasStatus(201);
        assertThat(postDevice(deviceJson("hb-gpu-0", "hb-node", "hb-dc", chip))).hasStatus(201);

        // an old heartbeat is applied, but the device it describes has been silent too long
        send("hb-gpu-0", heartbeat("hb-gpu-0", 10.0, Instant.now().minus(Duration.ofMinutes(10))));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(body(mvc.get().uri("/api/v1/devices/hb-gpu-0").exchange()).path("status").asString())
                        .isEqualTo("DOWN"));

        try (KafkaConsumer<String, String> dlt = consumer(Topics.deadLetter(Topics.DEVICE_HEARTBEATS))) {
            send("hb-gpu-0", "{this is not json");
            send("hb-gpu-0", heartbeat("hb-gpu-0", 2.5e10, Instant.now()));
            // unregistered devices are ignored without disturbing anything
            send("ghost-gpu", heartbeat("ghost-gpu", 1.0, Instant.now()));

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode d = body(mvc.get().uri("/api/v1/devices/hb-gpu-0").exchange());
                assertThat(d.path("status").asString()).isEqualTo("HEALTHY");
                assertThat(d.path("cpuFlopsPerSec").asDouble()).isEqualTo(2.5e10);
                assertThat(d.path("hostCores").asInt()).isEqualTo(2);
                assertThat(d.path("mode").asString()).isEqualTo("emulated");
                assertThat(d.path("lastHeartbeat").isString()).isTrue();
            });

            List<String> deadValues = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> r : dlt.poll(Duration.ofMillis(200))) {
                    deadValues.add(r.value());
                }
                return deadValues.contains("{this is not json");
            });
        }

        // a replayed older heartbeat does not overwrite the newer one. A heartbeat of a second device, sent behind
        // it with the same key (so on the same partition), tells us when it has been processed.
        assertThat(postDevice(deviceJson("hb-gpu-1", "hb-node", "hb-dc", chip))).hasStatus(201);
        send("hb-gpu-0", heartbeat("hb-gpu-0", 7.0, Instant.now().minus(Duration.ofMinutes(5))));
        send("hb-gpu-0", heartbeat("hb-gpu-1", 1.0e9, Instant.now()));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(body(mvc.get().uri("/api/v1/devices/hb-gpu-1").exchange()).path("status").asString())
                        .isEqualTo("HEALTHY"));
        JsonNode d = body(mvc.get().uri("/api/v1/devices/hb-gpu-0").exchange());
        assertThat(d.path("cpuFlopsPerSec").asDouble()).isEqualTo(2.5e10);
        assertThat(d.path("status").asString()).isEqualTo("HEALTHY");
    }

    // --- helpers

    private MvcTestResult postDc(String body) {
        return mvc.post().uri("/api/v1/datacenters").contentType(MediaType.APPLICATION_JSON).content(body).exchange();
    }

    private MvcTestResult postDevice(String body) {
        return mvc.post().uri("/api/v1/devices").contentType(MediaType.APPLICATION_JSON).content(body).exchange();
    }

    private void problem(MvcTestResult result, int status, String field) {
        assertThat(result).hasStatus(status).hasContentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        JsonNode problem = body(result);
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("field").asString()).isEqualTo(field);
        assertThat(problem.path("errors").findValuesAsString("field")).contains(field);
    }

    private JsonNode body(MvcTestResult result) {
        try {
            return json.readTree(result.getResponse().getContentAsString());
        } catch (java.io.UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String deviceJson(String id, String node, String dc, String chip) {
        return "{\"id\":\"" + id + "\",\"nodeId\":\"" + node + "\",\"datacenter\":\"" + dc + "\",\"chip\":\"" + chip
                + "\"}";
    }

    private String heartbeat(String device, double cpuFlops, Instant at) {
        return json.writeValueAsString(new Heartbeat(device, "hb-node", "hb-dc", chip, "emulated", cpuFlops, 2, at));
    }

    private static void send(String key, String value) throws Exception {
        producer.send(new ProducerRecord<>(Topics.DEVICE_HEARTBEATS, key, value)).get();
    }

    private static KafkaConsumer<String, String> consumer(String topic) {
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
