package io.crosstrain.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

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
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.MediaType;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.assertj.MockMvcTester;
import org.springframework.transaction.support.TransactionTemplate;

import io.crosstrain.contracts.DeviceEvent;
import io.crosstrain.contracts.Heartbeat;
import io.crosstrain.contracts.Topics;
import io.crosstrain.inventory.domain.HealthPolicy;
import io.crosstrain.inventory.domain.HealthTracker;
import io.crosstrain.inventory.domain.InventoryService;
import io.crosstrain.inventory.persistence.DeviceEventRepository;
import io.crosstrain.inventory.persistence.DeviceRepository;
import io.crosstrain.inventory.persistence.DeviceRepository.HealthRow;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.testsupport.FreshDatabase;
import io.crosstrain.testsupport.RealInfra;
import tools.jackson.databind.json.JsonMapper;

/**
 * Health transitions as events, with short timeouts and two inventory instances on the same database and broker:
 * this test's context and a second one started beside it. Both sweep every 200 ms, yet every change must be
 * recorded and published exactly once.
 */
@SpringBootTest(properties = {"server.port=0",
        DeviceHealthEventsIntegrationTest.SUSPECT_AFTER, DeviceHealthEventsIntegrationTest.DOWN_AFTER,
        DeviceHealthEventsIntegrationTest.SWEEP, DeviceHealthEventsIntegrationTest.OUTBOX})
@AutoConfigureMockMvc
@DirtiesContext
class DeviceHealthEventsIntegrationTest {

    static final String SUSPECT_AFTER = "crosstrain.inventory.suspect-after=1s";
    // a wide SUSPECT window, so a busy build machine cannot skip it between two sweeps
    static final String DOWN_AFTER = "crosstrain.inventory.down-after=3s";
    static final String SWEEP = "crosstrain.inventory.health-sweep=200ms";
    static final String OUTBOX = "crosstrain.inventory.outbox.interval=50ms";
    static final String DEVICE = "he-gpu-0";

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        RealInfra.registerKafka(r);
        RealInfra.registerPostgres(r);
    }

    static KafkaProducer<String, String> producer;
    static KafkaConsumer<String, String> events;
    static ConfigurableApplicationContext secondInstance;
    static final ScheduledExecutorService pump = Executors.newSingleThreadScheduledExecutor();

    @Autowired
    MockMvcTester mvc;
    @Autowired
    JsonMapper json;
    @Autowired
    KafkaListenerEndpointRegistry listeners;
    @Autowired
    InventoryService inventory;
    @Autowired
    HealthPolicy policy;
    @Autowired
    DeviceRepository devices;
    @Autowired
    DeviceEventRepository deviceEvents;
    @Autowired
    TransactionTemplate tx;

    final String chip = ChipCatalogue.defaults().all().get(0).name();
    final List<DeviceEvent> published = new ArrayList<>();

    @BeforeAll
    static void start() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, RealInfra.kafkaBootstrap());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        producer = new KafkaProducer<>(p);

        Properties c = new Properties();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, RealInfra.kafkaBootstrap());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        events = new KafkaConsumer<>(c);
        events.subscribe(List.of(Topics.DEVICE_EVENTS));

        FreshDatabase db = RealInfra.freshDatabase();
        // as command-line arguments: they must win over application.yml, as the test context's properties do
        secondInstance = new SpringApplicationBuilder(DeviceInventoryApplication.class)
                .run(Stream.of("server.port=0",
                                "spring.kafka.bootstrap-servers=" + RealInfra.kafkaBootstrap(),
                                "spring.datasource.url=" + db.jdbcUrl(),
                                "spring.datasource.username=" + db.username(),
                                "spring.datasource.password=" + db.password(),
                                SUSPECT_AFTER, DOWN_AFTER, SWEEP, OUTBOX)
                        .map(arg -> "--" + arg).toArray(String[]::new));
    }

    @AfterAll
    static void stop() {
        pump.shutdownNow();
        producer.close();
        events.close();
        if (secondInstance != null) {
            secondInstance.close();
        }
    }

    @Test
    void silenceGivesOneSuspectAndOneDownEventAndReturningHeartbeatsOneHealthy() throws Exception {
        assertThat(post("/api/v1/datacenters", "{\"id\":\"he-dc\"}")).isEqualTo(201);
        assertThat(post("/api/v1/devices", device(DEVICE))).isEqualTo(201);
        assertThat(history()).isEmpty();
        waitUntilBothInstancesConsumeHeartbeats();

        // the first heartbeat of a new device: from nothing to HEALTHY
        beat(DEVICE);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(transitions(history())).containsExactly("null>HEALTHY"));
        assertThat(history().get(0).reason()).isEqualTo("first heartbeat");

        // then silence: SUSPECT after 1 s, DOWN after 3 s, each exactly once although two instances sweep
        await().atMost(Duration.ofSeconds(30)).until(() -> transitions(history()).contains("SUSPECT>DOWN"));
        Thread.sleep(1_000); // a few more sweeps of both instances, which must not add anything
        List<DeviceEvent> afterSilence = history();
        assertThat(transitions(afterSilence)).containsExactly("null>HEALTHY", "HEALTHY>SUSPECT", "SUSPECT>DOWN");
        assertThat(afterSilence.get(1).reason()).matches("no heartbeat for \\d+ s");
        assertThat(afterSilence.get(2).reason()).matches("no heartbeat for \\d+ s");
        assertThat(mvc.get().uri("/api/v1/devices/" + DEVICE)).bodyJson().extractingPath("$.status")
                .isEqualTo("DOWN");

        // heartbeats return
        ScheduledFuture<?> beating = pump.scheduleAtFixedRate(() -> beat(DEVICE), 0, 200, TimeUnit.MILLISECONDS);
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> transitions(history()).contains("DOWN>HEALTHY"));
            Thread.sleep(600);
            assertThat(transitions(history())).containsExactly("null>HEALTHY", "HEALTHY>SUSPECT", "SUSPECT>DOWN",
                    "DOWN>HEALTHY");
        } finally {
            beating.cancel(false);
        }
        List<DeviceEvent> recorded = history();
        assertThat(recorded.get(3).reason()).isEqualTo("heartbeats resumed");
        assertThat(recorded).allSatisfy(e -> {
            assertThat(e.deviceId()).isEqualTo(DEVICE);
            assertThat(e.datacenter()).isEqualTo("he-dc");
            assertThat(e.nodeId()).isEqualTo("he-node");
            assertThat(e.chip()).isEqualTo(chip);
            assertThat(e.at()).isNotNull();
        });

        // the same four events, each once, reached crosstrain.device-events keyed by the device
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            poll();
            assertThat(published).hasSizeGreaterThanOrEqualTo(4);
        });
        Thread.sleep(500);
        poll();
        assertThat(published.subList(0, 4)).extracting(DeviceEvent::eventId)
                .containsExactlyElementsOf(recorded.stream().map(DeviceEvent::eventId).toList());
        Set<UUID> distinct = published.stream().map(DeviceEvent::eventId).collect(Collectors.toSet());
        assertThat(distinct).as("no event published twice").hasSize(published.size());
    }

    @Test
    void aChangeSeenByManySweepersAtOnceIsRecordedOnce() throws Exception {
        assertThat(post("/api/v1/datacenters", "{\"id\":\"race-dc\"}")).isEqualTo(201);
        assertThat(post("/api/v1/devices", "{\"id\":\"race-gpu\",\"nodeId\":\"race-node\","
                + "\"datacenter\":\"race-dc\",\"chip\":\"" + chip + "\"}")).isEqualTo(201);
        // a first heartbeat 2 s old: recorded straight away as SUSPECT
        inventory.heartbeat(new Heartbeat("race-gpu", "race-node", "race-dc", chip, "emulated", 1e9, 2,
                Instant.now().minusSeconds(2)));
        HealthRow seen = devices.healthRow("race-gpu").orElseThrow();
        assertThat(seen.lastStatus()).isEqualTo("SUSPECT");
        // contenders whose clock runs 5 s ahead find DOWN due now, while the instances' own sweeps still see
        // SUSPECT for about a second: the contenders race each other, as sweepers of many instances would
        HealthTracker ahead = new HealthTracker(devices, deviceEvents, policy,
                Clock.offset(Clock.systemUTC(), Duration.ofSeconds(5)));
        int contenders = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(contenders);
        try {
            List<Future<Optional<DeviceEvent>>> results = new ArrayList<>();
            for (int i = 0; i < contenders; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return tx.execute(status -> ahead.settle(seen));
                }));
            }
            go.countDown();
            int recordedHere = 0;
            for (Future<Optional<DeviceEvent>> r : results) {
                recordedHere += r.get(30, TimeUnit.SECONDS).isPresent() ? 1 : 0;
            }
            assertThat(recordedHere).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> devices.healthRow("race-gpu").orElseThrow().lastStatus(),
                "DOWN"::equals);
        Thread.sleep(500);
        String body = mvc.get().uri("/api/v1/devices/race-gpu/events").exchange().getResponse().getContentAsString();
        assertThat(transitions(List.of(json.readValue(body, DeviceEvent[].class))))
                .containsExactly("null>SUSPECT", "SUSPECT>DOWN");
    }

    @Test
    void eventsOfAnUnknownDeviceAreNotFound() {
        assertThat(mvc.get().uri("/api/v1/devices/he-ghost/events")).hasStatus(404)
                .hasContentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
    }

    // --- helpers

    /** Until the heartbeat partitions are split between the two instances, a record could wait for a rebalance. */
    private void waitUntilBothInstancesConsumeHeartbeats() {
        MessageListenerContainer mine = listeners.getListenerContainer("inventory-heartbeats");
        MessageListenerContainer theirs = secondInstance.getBean(KafkaListenerEndpointRegistry.class)
                .getListenerContainer("inventory-heartbeats");
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            int a = mine.getAssignedPartitions() == null ? 0 : mine.getAssignedPartitions().size();
            int b = theirs.getAssignedPartitions() == null ? 0 : theirs.getAssignedPartitions().size();
            return a > 0 && b > 0 && a + b == Topics.partitions(Topics.DEVICE_HEARTBEATS);
        });
    }

    private void poll() {
        for (ConsumerRecord<String, String> r : events.poll(Duration.ofMillis(200))) {
            if (DEVICE.equals(r.key())) {
                published.add(json.readValue(r.value(), DeviceEvent.class));
            }
        }
    }

    private List<DeviceEvent> history() {
        try {
            String body = mvc.get().uri("/api/v1/devices/" + DEVICE + "/events").exchange().getResponse()
                    .getContentAsString();
            return List.of(json.readValue(body, DeviceEvent[].class));
        } catch (java.io.UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> transitions(List<DeviceEvent> events) {
        return events.stream().map(e -> e.from() + ">" + e.to()).toList();
    }

    private void beat(String device) {
        String hb = json.writeValueAsString(new Heartbeat(device, "he-node", "he-dc", chip, "emulated", 1e9, 2,
                Instant.now()));
        try {
            producer.send(new ProducerRecord<>(Topics.DEVICE_HEARTBEATS, device, hb)).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private String device(String id) {
        return "{\"id\":\"" + id + "\",\"nodeId\":\"he-node\",\"datacenter\":\"he-dc\",\"chip\":\"" + chip + "\"}";
    }

    private int post(String uri, String body) {
        return mvc.post().uri(uri).contentType(MediaType.APPLICATION_JSON).content(body).exchange().getResponse()
                .getStatus();
    }
}
