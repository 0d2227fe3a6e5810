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
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.assertj.MockMvcTester;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

import io.crosstrain.contracts.Heartbeat;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.testsupport.RealInfra;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole service against a real KRaft broker and a fresh PostgreSQL database, with the default health timeouts.
 * The context is closed afterwards so that its health sweep does not run next to {@link DeviceHealthEventsIntegrationTest}'s
 * instances with their shorter timeouts.
 */
@SpringBootTest(properties = "server.port=0")
@AutoConfigureMockMvc
@DirtiesContext
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
        assertThat(mvc.get().uri("/actuator/prometheus")).hasStatusOk().bodyText()
                .contains("jvm_memory_used_bytes{application=\"device-inventory\"");
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

    @Test
    void linksAreUndirectedAndValidated() {
        for (String dc : List.of("lk-a", "lk-b", "lk-c")) {
            assertThat(postDc("{\"id\":\"" + dc + "\"}")).hasStatus(201);
        }
        MvcTestResult created = postLink("{\"from\":\"lk-b\",\"to\":\"lk-a\",\"gbps\":10,\"latencyMs\":30}");
        assertThat(created).hasStatus(201).headers().hasValue("Location", "/api/v1/links/lk-b/lk-a");
        JsonNode link = body(created);
        assertThat(link.path("from").asString()).isEqualTo("lk-b");
        assertThat(link.path("to").asString()).isEqualTo("lk-a");

        // the same pair the other way round is the same link: updated, not added
        MvcTestResult updated = postLink("{\"from\":\"lk-a\",\"to\":\"lk-b\",\"gbps\":2.5,\"latencyMs\":35}");
        assertThat(updated).hasStatus(200);
        assertThat(body(updated).path("gbps").asDouble()).isEqualTo(2.5);
        JsonNode reversed = body(mvc.get().uri("/api/v1/links/lk-b/lk-a").exchange());
        assertThat(reversed.path("from").asString()).isEqualTo("lk-b");
        assertThat(reversed.path("gbps").asDouble()).isEqualTo(2.5);
        assertThat(reversed.path("latencyMs").asDouble()).isEqualTo(35.0);

        assertThat(postLink("{\"from\":\"lk-a\",\"to\":\"lk-c\",\"gbps\":1,\"latencyMs\":0}")).hasStatus(201);
        assertThat(mvc.get().uri("/api/v1/links?datacenter=lk-a")).hasStatusOk().bodyJson()
                .extractingPath("$[*].to").asArray().containsExactly("lk-b", "lk-c");
        assertThat(mvc.get().uri("/api/v1/links?datacenter=lk-c")).hasStatusOk().bodyJson()
                .extractingPath("$[*].from").asArray().containsExactly("lk-c");

        problem(postLink("{\"from\":\"lk-a\",\"to\":\"lk-ghost\",\"gbps\":1,\"latencyMs\":1}"), 422, "to");
        problem(postLink("{\"from\":\"lk-ghost\",\"to\":\"lk-a\",\"gbps\":1,\"latencyMs\":1}"), 422, "from");
        problem(postLink("{\"from\":\"lk-a\",\"to\":\"lk-a\",\"gbps\":1,\"latencyMs\":1}"), 400, "to");
        problem(postLink("{\"from\":\"lk-a\",\"to\":\"lk-b\",\"gbps\":0,\"latencyMs\":1}"), 400, "gbps");
        problem(postLink("{\"from\":\"lk-a\",\"to\":\"lk-b\",\"gbps\":1,\"latencyMs\":-1}"), 400, "latencyMs");
        // rejected requests changed nothing
        assertThat(body(mvc.get().uri("/api/v1/links/lk-a/lk-b").exchange()).path("gbps").asDouble()).isEqualTo(2.5);
        assertThat(mvc.get().uri("/api/v1/links?datacenter=lk-a")).bodyJson()
                .extractingPath("$.length()").isEqualTo(2);

        assertThat(mvc.delete().uri("/api/v1/links/lk-c/lk-a")).hasStatus(204);
        assertThat(mvc.get().uri("/api/v1/links/lk-a/lk-c")).hasStatus(404)
                .hasContentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        assertThat(mvc.delete().uri("/api/v1/links/lk-a/lk-c")).hasStatus(404);
        assertThat(mvc.get().uri("/api/v1/links")).hasStatusOk().bodyJson()
                .extractingPath("$[?(@.from == 'lk-a')].to").asArray().containsExactly("lk-b");
    }

    @Test
    void nodesDeviceMemoryAndLabels() {
        assertThat(postDc("{\"id\":\"nd-dc\"}")).hasStatus(201);
        MvcTestResult node = mvc.post().uri("/api/v1/nodes").contentType(MediaType.APPLICATION_JSON)
                .content("{\"id\":\"nd-node-1\",\"datacenter\":\"nd-dc\"}").exchange();
        assertThat(node).hasStatus(201).headers().hasValue("Location", "/api/v1/nodes/nd-node-1");
        assertThat(body(node).path("deviceIds").size()).isZero();
        problem(mvc.post().uri("/api/v1/nodes").contentType(MediaType.APPLICATION_JSON)
                .content("{\"id\":\"nd-node-1\",\"datacenter\":\"nd-dc\"}").exchange(), 409, "id");
        problem(mvc.post().uri("/api/v1/nodes").contentType(MediaType.APPLICATION_JSON)
                .content("{\"id\":\"nd-node-2\",\"datacenter\":\"nd-ghost\"}").exchange(), 422, "datacenter");

        MvcTestResult withMemory = postDevice("{\"id\":\"nd-gpu-0\",\"nodeId\":\"nd-node-1\",\"datacenter\":\"nd-dc\","
                + "\"chip\":\"" + chip + "\",\"memoryGb\":40}");
        assertThat(withMemory).hasStatus(201);
        assertThat(body(withMemory).path("memoryGb").asDouble()).isEqualTo(40.0);
        assertThat(body(withMemory).path("measuredSamplesPerSec").isObject()).isTrue();
        assertThat(body(withMemory).path("measuredSamplesPerSec").size()).isZero();
        // the node is still created implicitly by a registration
        assertThat(postDevice(deviceJson("nd-gpu-1", "nd-node-auto", "nd-dc", chip))).hasStatus(201);
        assertThat(body(mvc.get().uri("/api/v1/devices/nd-gpu-1").exchange()).path("memoryGb").asDouble())
                .isEqualTo(ChipCatalogue.defaults().get(chip).memoryGb());
        assertThat(mvc.get().uri("/api/v1/nodes/nd-node-auto")).hasStatusOk().bodyJson()
                .extractingPath("$.deviceIds").asArray().containsExactly("nd-gpu-1");
        assertThat(mvc.get().uri("/api/v1/nodes/nd-node-1")).hasStatusOk().bodyJson()
                .extractingPath("$.deviceIds").asArray().containsExactly("nd-gpu-0");
        assertThat(mvc.get().uri("/api/v1/nodes?datacenter=nd-dc")).hasStatusOk().bodyJson()
                .extractingPath("$[*].id").asArray().containsExactly("nd-node-1", "nd-node-auto");
        assertThat(mvc.get().uri("/api/v1/nodes/nd-nowhere")).hasStatus(404);

        problem(postDevice("{\"id\":\"nd-gpu-2\",\"nodeId\":\"nd-node-1\",\"datacenter\":\"nd-dc\",\"chip\":\"" + chip
                + "\",\"memoryGb\":-1}"), 400, "memoryGb");
        // a refused registration leaves no node behind
        problem(postDevice(deviceJson("nd-gpu-0", "nd-node-new", "nd-dc", chip)), 409, "id");
        assertThat(mvc.get().uri("/api/v1/nodes/nd-node-new")).hasStatus(404);

        MvcTestResult labelled = mvc.put().uri("/api/v1/devices/nd-gpu-0/labels")
                .contentType(MediaType.APPLICATION_JSON).content("{\"rack\":\"r9\",\"zone\":\"z1\"}").exchange();
        assertThat(labelled).hasStatusOk();
        JsonNode labels = body(mvc.get().uri("/api/v1/devices/nd-gpu-0").exchange()).path("labels");
        assertThat(labels.path("rack").asString()).isEqualTo("r9");
        assertThat(labels.path("zone").asString()).isEqualTo("z1");
        problem(mvc.put().uri("/api/v1/devices/nd-gpu-0/labels").contentType(MediaType.APPLICATION_JSON)
                .content("{\"rack\":1}").exchange(), 400, "labels.rack");
        assertThat(mvc.put().uri("/api/v1/devices/nd-gpu-0/labels").contentType(MediaType.APPLICATION_JSON)
                .content("{}").exchange()).hasStatusOk();
        assertThat(body(mvc.get().uri("/api/v1/devices/nd-gpu-0").exchange()).path("labels").size()).isZero();
        assertThat(mvc.put().uri("/api/v1/devices/nd-ghost/labels").contentType(MediaType.APPLICATION_JSON)
                .content("{}").exchange()).hasStatus(404);
    }

    @Test
    void aChipPostedOverRestCanBeUsedToRegisterADevice() {
        String define = "{\"name\":\"Test-Accel-1\",\"tflops\":100,\"memoryGb\":24,\"memBandwidthTBps\":1.2,"
                + "\"unverified\":true,\"source\":\"lab bench notes, 2025\"}";
        MvcTestResult created = postChip(define);
        assertThat(created).hasStatus(201).headers().hasValue("Location", "/api/v1/chips/Test-Accel-1");
        assertThat(body(created).path("builtIn").asBoolean()).isFalse();

        JsonNode found = body(mvc.get().uri("/api/v1/chips/test-accel-1").exchange());
        assertThat(found.path("name").asString()).isEqualTo("Test-Accel-1");
        assertThat(found.path("source").asString()).isEqualTo("lab bench notes, 2025");
        assertThat(found.path("unverified").asBoolean()).isTrue();
        assertThat(mvc.get().uri("/api/v1/chips")).hasStatusOk().bodyJson()
                .extractingPath("$[*].name").asArray().contains("Test-Accel-1", chip);
        assertThat(body(mvc.get().uri("/api/v1/chips/" + chip).exchange()).path("builtIn").asBoolean()).isTrue();

        assertThat(postDc("{\"id\":\"ch-dc\"}")).hasStatus(201);
        MvcTestResult device = postDevice(deviceJson("ch-acc-0", "ch-node", "ch-dc", "test-accel-1"));
        assertThat(device).hasStatus(201);
        assertThat(body(device).path("chip").asString()).isEqualTo("Test-Accel-1");
        assertThat(body(device).path("memoryGb").asDouble()).isEqualTo(24.0);
        assertThat(body(device).path("catalogue").path("tflops").asDouble()).isEqualTo(100.0);

        // a custom chip may be corrected; a built-in one may not be replaced
        assertThat(postChip(define.replace("\"tflops\":100", "\"tflops\":120"))).hasStatus(200);
        assertThat(body(mvc.get().uri("/api/v1/devices/ch-acc-0").exchange()).path("catalogue").path("tflops")
                .asDouble()).isEqualTo(120.0);
        problem(postChip("{\"name\":\"" + chip.toUpperCase() + "\",\"tflops\":1,\"memoryGb\":1,\"memBandwidthTBps\":1,"
                + "\"source\":\"mine\"}"), 409, "name");
        assertThat(body(mvc.get().uri("/api/v1/chips/" + chip).exchange()).path("tflops").asDouble())
                .isEqualTo(ChipCatalogue.defaults().get(chip).tflops());
        problem(postChip(define.replace("\"source\":\"lab bench notes, 2025\"", "\"source\":\"\"")), 400, "source");
    }

    @Test
    void stepMetricsBuildRobustProfilesCountingEachStepOnce() throws Exception {
        assertThat(postDc("{\"id\":\"pf-dc\"}")).hasStatus(201);
        assertThat(postDevice(deviceJson("pf-gpu-0", "pf-node", "pf-dc", chip))).hasStatus(201);
        assertThat(postDevice(deviceJson("pf-gpu-1", "pf-node", "pf-dc", chip))).hasStatus(201);
        UUID job = UUID.randomUUID();
        String model = "tx-L2-d96-h4-s64-v66";
        String key = job.toString();
        long t0 = System.currentTimeMillis() - 60_000;

        try (KafkaConsumer<String, String> dlt = consumer(Topics.deadLetter(Topics.STEP_METRICS))) {
            sendMetric(key, "{this is no metric");
            double[] speeds = {99, 100, 100, 101, 102, 5000};
            for (int i = 0; i < speeds.length; i++) {
                // the chip as a worker might spell it; profiles use the catalogue's spelling
                sendMetric(key, metric(job, "pf-gpu-0", chip.toLowerCase(), i + 1, 32, 2, speeds[i], null, model,
                        t0 + i * 1000L));
                if (i == 2) {
                    // a redelivered record: same job, plan version, device and step
                    sendMetric(key, metric(job, "pf-gpu-0", chip.toLowerCase(), 3, 32, 2, speeds[2], null, model,
                            t0 + 2000L));
                }
            }
            // nothing to learn from: a failed step, an unmeasured one, one of an unknown model
            sendMetric(key, metric(job, "pf-gpu-0", chip, 7, 32, 2, 100, "worker crashed", model, t0 + 7000L));
            sendMetric(key, metric(job, "pf-gpu-0", chip, 8, 32, 2, 0, null, model, t0 + 8000L));
            sendMetric(key, metric(job, "pf-gpu-0", chip, 9, 32, 2, 100, null, null, t0 + 9000L));
            // sent last on the same partition: once it shows, everything before it has been consumed
            sendMetric(key, metric(job, "pf-gpu-1", chip, 1, 8, 1, 50, null, model, t0 + 10_000L));

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(mvc.get().uri("/api/v1/devices/pf-gpu-1/profiles")).bodyJson()
                            .extractingPath("$.length()").isEqualTo(1));

            JsonNode chipProfiles = body(mvc.get().uri("/api/v1/profiles?chip=" + chip.toLowerCase() + "&model="
                    + model).exchange());
            assertThat(chipProfiles.size()).isEqualTo(2);
            JsonNode p16 = chipProfiles.get(0).path("microBatch").asInt() == 16 ? chipProfiles.get(0)
                    : chipProfiles.get(1);
            assertThat(p16.path("chip").asString()).isEqualTo(chip);
            assertThat(p16.path("model").asString()).isEqualTo(model);
            assertThat(p16.path("microBatch").asInt()).isEqualTo(16);
            // the median of all six would be 100.5; 5000 is an outlier and is left out
            assertThat(p16.path("samplesPerSec").asDouble()).isEqualTo(100.0);
            // six distinct steps; the redelivered one counted once, the three unusable ones not at all
            assertThat(p16.path("samples").asLong()).isEqualTo(6);
            assertThat(p16.path("updatedAt").isString()).isTrue();

            JsonNode deviceProfiles = body(mvc.get().uri("/api/v1/devices/pf-gpu-0/profiles").exchange());
            assertThat(deviceProfiles.size()).isEqualTo(1);
            assertThat(deviceProfiles.get(0).path("deviceId").asString()).isEqualTo("pf-gpu-0");
            assertThat(deviceProfiles.get(0).path("model").asString()).isEqualTo(model);
            assertThat(deviceProfiles.get(0).path("samplesPerSec").asDouble()).isEqualTo(100.0);
            assertThat(deviceProfiles.get(0).path("samples").asLong()).isEqualTo(6);

            JsonNode device = body(mvc.get().uri("/api/v1/devices/pf-gpu-0").exchange());
            assertThat(device.path("measuredSamplesPerSec").path(model).asDouble()).isEqualTo(100.0);
            assertThat(mvc.get().uri("/api/v1/devices?datacenter=pf-dc")).bodyJson()
                    .extractingPath("$[1].measuredSamplesPerSec['" + model + "']").isEqualTo(50.0);
            assertThat(mvc.get().uri("/api/v1/profiles?model=no-such-model")).bodyJson()
                    .extractingPath("$.length()").isEqualTo(0);
            assertThat(mvc.get().uri("/api/v1/devices/pf-ghost/profiles")).hasStatus(404);

            List<String> deadValues = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> r : dlt.poll(Duration.ofMillis(200))) {
                    deadValues.add(r.value());
                }
                return deadValues.contains("{this is no metric");
            });
        }
    }

    // --- helpers

    private MvcTestResult postLink(String body) {
        return mvc.post().uri("/api/v1/links").contentType(MediaType.APPLICATION_JSON).content(body).exchange();
    }

    private MvcTestResult postChip(String body) {
        return mvc.post().uri("/api/v1/chips").contentType(MediaType.APPLICATION_JSON).content(body).exchange();
    }

    private String metric(UUID job, String device, String chipName, int step, int batch, int microBatches,
                          double speed, String error, String model, long endedAtMs) {
        return json.writeValueAsString(new StepMetric(job, 1, device, "pf-dc", chipName, step, batch, 2.0, 10, 10, 1,
                12, endedAtMs - 12, endedAtMs, 0, 1000, null, "emulated", false, error, speed, microBatches, model));
    }

    private static void sendMetric(String key, String value) throws Exception {
        producer.send(new ProducerRecord<>(Topics.STEP_METRICS, key, value)).get();
    }

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
