package io.crosstrain.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.support.KafkaHeaders;

import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.ChunkHeaders;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.TensorAssembler;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.GradientHeaders;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.Topics;
import io.crosstrain.relay.messaging.GradientPublisher;
import io.crosstrain.relay.messaging.RelayMetrics;
import io.crosstrain.relay.messaging.RelayStages;
import io.crosstrain.testsupport.RealInfra;
import io.micrometer.core.instrument.MeterRegistry;
import tools.jackson.databind.json.JsonMapper;

/**
 * Two relays (datacenters a and b) in one JVM against the real in-process KRaft broker. The test plays the four
 * workers: it publishes the plan and the workers' gradient chunks and reads what comes down.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GradientRelayIntegrationTest {

    static final int ELEMENTS = 300_000; // three FP32 chunks
    static final List<PlanDevice> DEVICES = List.of(
            device("a-0", "a", 0, 3), device("a-1", "a", 1, 5), device("b-0", "b", 2, 6), device("b-1", "b", 3, 2));
    static final int GLOBAL_BATCH = 16;

    static ConfigurableApplicationContext relayA;
    static ConfigurableApplicationContext relayB;
    static KafkaProducer<String, byte[]> chunks;
    static KafkaProducer<String, String> json;
    static KafkaConsumer<String, byte[]> observer;
    static Admin admin;
    static String bootstrap;
    static final List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();

    @BeforeAll
    static void start() {
        bootstrap = RealInfra.kafkaBootstrap();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        relayA = relay("a", bootstrap);
        relayB = relay("b", bootstrap);
        chunks = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * 1024 * 1024,
                ProducerConfig.LINGER_MS_CONFIG, 0),
                new StringSerializer(), new ByteArraySerializer());
        json = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
        observer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 * 1024 * 1024,
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50),
                new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> watched = List.of(new TopicPartition(Topics.gradDown("a"), 0),
                new TopicPartition(Topics.gradDown("b"), 0),
                new TopicPartition(Topics.deadLetter(Topics.gradUp("a")), 0),
                new TopicPartition(Topics.deadLetter(Topics.gradUp("b")), 0),
                new TopicPartition(Topics.GRAD_WAN, 0),
                new TopicPartition(Topics.deadLetter(Topics.PLANS), 0));
        observer.assign(watched);
        observer.seekToBeginning(watched);
    }

    @AfterAll
    static void stop() {
        if (observer != null) {
            observer.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (chunks != null) {
            chunks.close();
        }
        if (json != null) {
            json.close();
        }
        if (relayA != null) {
            relayA.close();
        }
        if (relayB != null) {
            relayB.close();
        }
    }

    static ConfigurableApplicationContext relay(String dc, String bootstrap) {
        // command-line arguments, so they win over application.yml
        return new SpringApplicationBuilder(GradientRelayApplication.class).run(
                "--crosstrain.relay.datacenter=" + dc, "--server.port=0",
                "--spring.kafka.bootstrap-servers=" + bootstrap);
    }

    @Test
    @Order(1)
    void bothDatacentersReceiveTheSameAverageExactlyOncePerChunk() throws Exception {
        UUID job = UUID.randomUUID();
        publishPlan(job);

        // round 1: every worker streams its weighted gradient; one chunk is delivered twice
        float[][] round1 = gradients(1);
        sendRound(job, 1, 1, round1, "a-1", 1);

        float[] expected1 = average(round1);
        awaitRound(job, 1, expected1);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(counter(relayA, RelayMetrics.DUPLICATES, "intra-dc")).isEqualTo(1.0));
        assertThat(counter(relayB, RelayMetrics.DUPLICATES, "intra-dc")).isZero();

        // round 2: a corrupt copy of a chunk and a chunk of a stale plan version come first; both are dead-lettered
        float[][] round2 = gradients(2);
        byte[] corrupt = TensorCodec.encode(meta(job, 2, 1, "a-0", 3), round2[0]).get(1);
        corrupt[corrupt.length / 2] ^= 0x40;
        String corruptKey = GradientHeaders.upKey(job, 2, "a-0", 1);
        chunks.send(new ProducerRecord<>(Topics.gradUp("a"), corruptKey, corrupt)).get();
        byte[] stale = TensorCodec.encode(meta(job, 2, 0, "b-1", 2), round2[3]).get(0);
        String staleKey = GradientHeaders.upKey(job, 2, "b-1", 0);
        chunks.send(new ProducerRecord<>(Topics.gradUp("b"), staleKey, stale)).get();
        sendRound(job, 2, 1, round2, null, -1);

        awaitRound(job, 2, average(round2));

        ConsumerRecord<String, byte[]> deadCorrupt = only(Topics.deadLetter(Topics.gradUp("a")), corruptKey);
        assertThat(deadCorrupt.value()).isEqualTo(corrupt);
        assertThat(header(deadCorrupt, GradientPublisher.DLT_REASON)).isEqualTo("CORRUPT");
        assertThat(header(deadCorrupt, KafkaHeaders.DLT_EXCEPTION_MESSAGE)).contains("CRC32C mismatch");
        ConsumerRecord<String, byte[]> deadStale = only(Topics.deadLetter(Topics.gradUp("b")), staleKey);
        assertThat(header(deadStale, GradientPublisher.DLT_REASON)).isEqualTo("STALE_PLAN");
        assertThat(relayA.getBean(MeterRegistry.class).counter(RelayMetrics.DEAD_LETTERS, "stage", "intra-dc",
                "reason", "CORRUPT").count()).isEqualTo(1.0);

        // round 2 went through the same partitions after round 1: had round 1 produced anything twice, it is here
        poll();
        for (String dc : List.of("a", "b")) {
            assertThat(downRecords(dc, job, 1)).hasSize(3);
            assertThat(downRecords(dc, job, 2)).hasSize(3);
        }
        assertThat(counter(relayA, RelayMetrics.OUT, "cross-dc")).isGreaterThanOrEqualTo(6.0);
        // the broker acknowledged every average and partial each relay sent
        for (ConfigurableApplicationContext relay : List.of(relayA, relayB)) {
            MeterRegistry registry = relay.getBean(MeterRegistry.class);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(registry.get(RelayMetrics.DELIVERED).tag("to", "down").counter().count())
                        .isGreaterThanOrEqualTo(6.0);
                assertThat(registry.get(RelayMetrics.DELIVERED).tag("to", "wan").counter().count())
                        .isGreaterThanOrEqualTo(6.0);
            });
        }

        // each relay timed both rounds it committed and counted the partials that came over the WAN from its peer
        for (ConfigurableApplicationContext relay : List.of(relayA, relayB)) {
            MeterRegistry registry = relay.getBean(MeterRegistry.class);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(registry.get(
                    RelayMetrics.ROUND_LATENCY).tags("stage", "cross-dc", "kind", "sync").timer().count())
                    .isGreaterThanOrEqualTo(2));
        }
        assertThat(relayA.getBean(MeterRegistry.class).get(RelayMetrics.WAN_BYTES).tags("from", "b", "to", "a")
                .counter().count()).isGreaterThan(ELEMENTS * 4.0);
        assertThat(relayB.getBean(MeterRegistry.class).get(RelayMetrics.WAN_BYTES).tags("from", "a", "to", "b")
                .counter().count()).isGreaterThan(ELEMENTS * 4.0);
    }

    /**
     * A relay that stops in the middle of a round loses no contribution: it committed its consumer position no
     * further than the oldest chunk it still held, and reads those again after the restart.
     */
    @Test
    @Order(2)
    void aRestartedRelayPicksUpTheRoundWhereItStopped() throws Exception {
        UUID job = UUID.randomUUID();
        publishPlan(job);
        float[][] g = gradients(3);
        List<List<byte[]>> records = new ArrayList<>();
        for (int d = 0; d < DEVICES.size(); d++) {
            PlanDevice dev = DEVICES.get(d);
            records.add(TensorCodec.encode(meta(job, 1, 1, dev.deviceId(), dev.batch()), g[d]));
        }
        // everything but device a-1: relay a holds a-0's chunks and b's partials, waiting for a-1
        long firstHeldUp = -1;
        for (int d : new int[] {0, 2, 3}) {
            PlanDevice dev = DEVICES.get(d);
            for (int c = 0; c < 3; c++) {
                long offset = chunks.send(new ProducerRecord<>(Topics.gradUp(dev.datacenter()),
                        GradientHeaders.upKey(job, 1, dev.deviceId(), c), records.get(d).get(c))).get().offset();
                if (d == 0 && c == 0) {
                    firstHeldUp = offset;
                }
            }
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(gauge(relayA, "relay.chunks.open", "intra-dc")).isEqualTo(3.0);
            assertThat(gauge(relayA, "relay.chunks.open", "cross-dc")).isEqualTo(3.0);
        });
        long firstHeldWan = only(Topics.GRAD_WAN, GradientHeaders.wanKey(job, 1, "b", 0)).offset();

        // any later record makes the relay commit; garbage is dead-lettered and holds nothing
        Thread.sleep(150);
        chunks.send(new ProducerRecord<>(Topics.gradUp("a"), "garbage", new byte[] {1, 2, 3})).get();
        chunks.send(new ProducerRecord<>(Topics.GRAD_WAN, "garbage", new byte[] {1, 2, 3})).get();
        long up = firstHeldUp;
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(committed("relay-a-up", Topics.gradUp("a"))).isEqualTo(up);
            assertThat(committed("relay-a", Topics.GRAD_WAN)).isEqualTo(firstHeldWan);
        });

        relayA.close();
        relayA = relay("a", bootstrap);
        for (int c = 0; c < 3; c++) {
            chunks.send(new ProducerRecord<>(Topics.gradUp("a"), GradientHeaders.upKey(job, 1, "a-1", c),
                    records.get(1).get(c)));
        }
        chunks.flush();

        float[] expected = average(g);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            poll();
            assertThat(downRecords("b", job, 1)).hasSize(3);
            assertThat(downRecords("a", job, 1).stream().map(ConsumerRecord::key).distinct()).hasSize(3);
        });
        for (String dc : List.of("a", "b")) {
            TensorAssembler tensor = new TensorAssembler();
            for (ConsumerRecord<String, byte[]> rec : downRecords(dc, job, 1)) {
                tensor.accept(TensorCodec.decode(rec.value()));
            }
            assertThat(bits(tensor.values())).as("average at datacenter %s", dc).isEqualTo(bits(expected));
        }
    }

    @Test
    @Order(3)
    void aMalformedPlanIsDeadLetteredAndPlansKeepFlowing() throws Exception {
        String key = "broken-" + UUID.randomUUID();
        json.send(new ProducerRecord<>(Topics.PLANS, key, "{\"jobId\": \"not-a-uuid\"")).get();
        UUID job = UUID.randomUUID();
        publishPlan(job);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            poll();
            assertThat(seen).filteredOn(r -> r.topic().equals(Topics.deadLetter(Topics.PLANS))
                    && key.equals(r.key())).isNotEmpty();
            assertThat(relayA.getBean(RelayStages.class).crossDc().planVersion(job)).isEqualTo(1);
            assertThat(relayB.getBean(RelayStages.class).crossDc().planVersion(job)).isEqualTo(1);
        });
    }

    @Test
    @Order(4)
    void healthIsExposed() throws Exception {
        String port = relayA.getEnvironment().getProperty("local.server.port");
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"UP\"");

        HttpResponse<String> scrape = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.body()).contains("crosstrain_relay_round_latency_seconds_bucket{application=\"gradient-relay\"",
                "crosstrain_relay_wan_bytes_total{application=\"gradient-relay\",from=\"b\",to=\"a\"}");
    }

    /** Each worker's gradient, already multiplied by its batch, as float32. */
    static float[][] gradients(long seed) {
        Random r = new Random(seed);
        float[][] g = new float[DEVICES.size()][ELEMENTS];
        for (int d = 0; d < g.length; d++) {
            int batch = DEVICES.get(d).batch();
            for (int i = 0; i < ELEMENTS; i++) {
                g[d][i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(5) - 2)) * batch;
            }
        }
        return g;
    }

    /** Σ grads / G, summed exactly as documented: devices in rank order within a DC, then DCs in plan order. */
    static float[] average(float[][] g) {
        float[] avg = new float[ELEMENTS];
        for (int i = 0; i < ELEMENTS; i++) {
            float partA = g[0][i] + g[1][i];
            float partB = g[2][i] + g[3][i];
            avg[i] = (partA + partB) / GLOBAL_BATCH;
        }
        return avg;
    }

    /**
     * Exactly once across restarts: a round's records replayed twice, then both relays restarted (memory gone) and
     * the records replayed once more. Nothing is delivered a second time, because the restarted relays read the
     * round ledger first; the ledger holds one COMMITTED line per (round, datacenter).
     */
    @Test
    @Order(5)
    void replayedRoundsAreNeverDeliveredTwiceEvenAfterBothRelaysRestart() throws Exception {
        UUID job = UUID.randomUUID();
        publishPlan(job);
        float[][] g = gradients(11);
        sendRound(job, 1, 1, g, null, -1);
        awaitRound(job, 1, average(g));

        sendRound(job, 1, 1, g, null, -1);
        sendRound(job, 1, 1, g, null, -1);
        relayA.close();
        relayB.close();
        relayA = relay("a", bootstrap);
        relayB = relay("b", bootstrap);
        sendRound(job, 1, 1, g, null, -1);
        // a fresh round proves both relays are up and reading: once it is down, round 1's replays were handled
        float[][] g2 = gradients(12);
        sendRound(job, 2, 1, g2, null, -1);
        awaitRound(job, 2, average(g2));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(counter(relayA, RelayMetrics.DUPLICATES, "intra-dc")).isGreaterThanOrEqualTo(6.0));

        poll();
        for (String dc : List.of("a", "b")) {
            assertThat(downRecords(dc, job, 1)).as("round 1 at %s", dc).hasSize(3);
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(ledgerLines(job)).containsOnly(Map.entry("1:a:COMMITTED", 1), Map.entry("1:b:COMMITTED", 1),
                Map.entry("2:a:COMMITTED", 1), Map.entry("2:b:COMMITTED", 1)));
    }

    /** A plan inside one datacenter has nobody to exchange with: its partial never goes over grad-wan. */
    @Test
    @Order(6)
    void aSingleDatacenterPlanSkipsTheWanRoundTrip() throws Exception {
        UUID job = UUID.randomUUID();
        List<PlanDevice> devices = DEVICES.subList(0, 2);
        Plan plan = new Plan(job, 1, "sync-dp", "balanced", Plan.EMULATED, 1.0, ModelSpec.demo(),
                DatasetSpec.bundled(), 10, 8, 1e-3, 7L, 5, List.of("a"), devices, null);
        json.send(new ProducerRecord<>(Topics.PLANS, job.toString(),
                relayA.getBean(JsonMapper.class).writeValueAsString(plan))).get();
        float[][] g = gradients(21);
        for (int d = 0; d < 2; d++) {
            PlanDevice dev = devices.get(d);
            List<byte[]> recs = TensorCodec.encode(meta(job, 1, 1, dev.deviceId(), dev.batch()), g[d]);
            for (int c = 0; c < recs.size(); c++) {
                chunks.send(new ProducerRecord<>(Topics.gradUp("a"), GradientHeaders.upKey(job, 1, dev.deviceId(), c),
                        recs.get(c)));
            }
        }
        chunks.flush();
        float[] expected = new float[ELEMENTS];
        for (int i = 0; i < ELEMENTS; i++) {
            expected[i] = (g[0][i] + g[1][i]) / 8f;
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            poll();
            assertThat(downRecords("a", job, 1)).hasSize(3);
        });
        TensorAssembler tensor = new TensorAssembler();
        downRecords("a", job, 1).forEach(r -> tensor.accept(TensorCodec.decode(r.value())));
        assertThat(bits(tensor.values())).isEqualTo(bits(expected));
        assertThat(seen).noneMatch(r -> r.topic().equals(Topics.GRAD_WAN) && r.key().startsWith(job + ":"));
        assertThat(downRecords("b", job, 1)).isEmpty();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(ledgerLines(job)).containsOnly(Map.entry("1:a:COMMITTED", 1)));
    }

    /** Counts ledger lines of a job by round:datacenter:status. */
    static Map<String, Integer> ledgerLines(UUID job) {
        Map<String, Integer> out = new java.util.TreeMap<>();
        JsonMapper mapper = relayA.getBean(JsonMapper.class);
        io.crosstrain.kafka.TopicReader.readToEnd(bootstrap, Topics.ROUND_LEDGER, Map.of(), Duration.ofSeconds(30),
                r -> {
                    io.crosstrain.contracts.RoundLedgerEntry e = mapper.readValue(r.value(),
                            io.crosstrain.contracts.RoundLedgerEntry.class);
                    if (job.equals(e.jobId())) {
                        out.merge(e.round() + ":" + e.datacenter() + ":" + e.status(), 1, Integer::sum);
                    }
                });
        return out;
    }

    static void publishPlan(UUID job) throws Exception {
        Plan plan = new Plan(job, 1, "sync-dp", "balanced", Plan.EMULATED, 1.0, ModelSpec.demo(),
                DatasetSpec.bundled(), 10, GLOBAL_BATCH, 1e-3, 7L, 5, List.of("a", "b"), DEVICES, null);
        json.send(new ProducerRecord<>(Topics.PLANS, job.toString(),
                relayB.getBean(JsonMapper.class).writeValueAsString(plan))).get();
    }

    static long committed(String group, String topic) throws Exception {
        OffsetAndMetadata at = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                .get(new TopicPartition(topic, 0));
        return at == null ? -1 : at.offset();
    }

    static double gauge(ConfigurableApplicationContext ctx, String name, String stage) {
        return ctx.getBean(MeterRegistry.class).get(name).tag("stage", stage).gauge().value();
    }

    static ChunkMeta meta(UUID job, long round, int planVersion, String sender, int samples) {
        return new ChunkMeta(job, round, planVersion, sender, samples, Codec.FP32);
    }

    /** Sends chunk by chunk, all workers interleaved, as four streaming workers would. */
    static void sendRound(UUID job, long round, int planVersion, float[][] g, String dupDevice, int dupChunk)
            throws ExecutionException, InterruptedException {
        List<List<byte[]>> perDevice = new ArrayList<>();
        for (int d = 0; d < DEVICES.size(); d++) {
            PlanDevice dev = DEVICES.get(d);
            perDevice.add(TensorCodec.encode(meta(job, round, planVersion, dev.deviceId(), dev.batch()), g[d]));
        }
        int n = perDevice.get(0).size();
        assertThat(n).isEqualTo(3);
        for (int c = 0; c < n; c++) {
            for (int d = DEVICES.size() - 1; d >= 0; d--) { // reverse rank order on purpose
                PlanDevice dev = DEVICES.get(d);
                ProducerRecord<String, byte[]> rec = new ProducerRecord<>(Topics.gradUp(dev.datacenter()),
                        GradientHeaders.upKey(job, round, dev.deviceId(), c), perDevice.get(d).get(c));
                chunks.send(rec);
                if (dev.deviceId().equals(dupDevice) && c == dupChunk) {
                    chunks.send(rec);
                }
            }
        }
        chunks.flush();
    }

    static void awaitRound(UUID job, long round, float[] expected) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            poll();
            assertThat(downRecords("a", job, round)).hasSize(3);
            assertThat(downRecords("b", job, round)).hasSize(3);
        });
        for (String dc : List.of("a", "b")) {
            TensorAssembler tensor = new TensorAssembler();
            for (ConsumerRecord<String, byte[]> rec : downRecords(dc, job, round)) {
                Chunk c = TensorCodec.decode(rec.value());
                assertThat(rec.key()).isEqualTo(GradientHeaders.downKey(job, round, c.chunkIndex()));
                assertThat(c.meta().sender()).isEqualTo("relay-" + dc);
                assertThat(c.meta().sampleCount()).isEqualTo(GLOBAL_BATCH);
                assertThat(c.meta().round()).isEqualTo(round);
                // the bytes of the other datacenter's partial of this chunk
                long wan = ChunkHeaders.decodeLong(rec.headers().lastHeader(ChunkHeaders.WAN_BYTES).value());
                assertThat(wan).isEqualTo(TensorCodec.encodedSize(Codec.FP32, dc.equals("a") ? "b" : "a",
                        c.elementCount()));
                assertThat(tensor.accept(c)).as("chunk %d once", c.chunkIndex()).isTrue();
            }
            assertThat(tensor.complete()).isTrue();
            assertThat(bits(tensor.values())).as("average at datacenter %s", dc).isEqualTo(bits(expected));
        }
    }

    static void poll() {
        for (ConsumerRecord<String, byte[]> r : observer.poll(Duration.ofMillis(200))) {
            seen.add(r);
        }
    }

    static List<ConsumerRecord<String, byte[]>> downRecords(String dc, UUID job, long round) {
        String prefix = job + ":" + round + ":";
        return seen.stream().filter(r -> r.topic().equals(Topics.gradDown(dc)) && r.key().startsWith(prefix))
                .toList();
    }

    static ConsumerRecord<String, byte[]> only(String topic, String key) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            poll();
            assertThat(seen).filteredOn(r -> r.topic().equals(topic) && key.equals(r.key())).isNotEmpty();
        });
        List<ConsumerRecord<String, byte[]>> found = seen.stream()
                .filter(r -> r.topic().equals(topic) && key.equals(r.key())).toList();
        assertThat(found).hasSize(1);
        return found.get(0);
    }

    static String header(ConsumerRecord<String, byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    static double counter(ConfigurableApplicationContext ctx, String name, String stage) {
        return ctx.getBean(MeterRegistry.class).counter(name, "stage", stage).count();
    }

    static PlanDevice device(String id, String dc, int rank, int batch) {
        // one device per node, named like the device: the node is the contributor
        return new PlanDevice(id, id, dc, "A100-80G", rank, batch, 1, 100.0 * batch, 0.05);
    }

    static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }
}
