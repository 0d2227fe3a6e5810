package io.crosstrain.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.crosstrain.codec.Chunk;
import io.crosstrain.codec.ChunkHeaders;
import io.crosstrain.codec.ChunkMeta;
import io.crosstrain.codec.Codec;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.Heartbeat;
import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.RoundStop;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.testsupport.RealInfra;
import tools.jackson.databind.json.JsonMapper;

/**
 * The worker against a real KRaft broker. The test plays the datacenter's relay over Kafka: it sums the devices'
 * gradient chunks and sends the average back, as the relay would.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "crosstrain.worker.node-id=t-node-0",
        "crosstrain.worker.datacenter=t",
        "crosstrain.worker.devices=t-0:A100-80G,t-1:H20",
        "crosstrain.worker.heartbeat-interval=500ms"})
class GpuWorkerIntegrationTest {

    static {
        io.crosstrain.training.DjlSetup.configureCpu();
    }

    /** The checkpoint store of the test's worker. */
    static final java.nio.file.Path CHECKPOINTS;

    static {
        try {
            CHECKPOINTS = java.nio.file.Files.createTempDirectory("worker-it-checkpoints");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        RealInfra.registerKafka(r);
        r.add("crosstrain.checkpoints.dir", CHECKPOINTS::toString);
    }

    @Autowired
    JsonMapper mapper;

    @Autowired
    org.springframework.kafka.config.KafkaListenerEndpointRegistry listeners;

    /**
     * The worker reads grad-down from the latest offset: an average sent before its consumer has its partitions would
     * be missed, so the tests start once every listener of the worker has them.
     */
    @org.junit.jupiter.api.BeforeEach
    void listenersAssigned() {
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> listeners.getListenerContainers()
                .stream().allMatch(c -> c.getAssignedPartitions() != null && !c.getAssignedPartitions().isEmpty()));
    }
    @org.springframework.boot.test.web.server.LocalServerPort
    int port;

    @Test
    void trainsItsDevicesInLockstepAndReportsEveryStep() throws Exception {
        String before = scrape();
        double[] samplesBefore = {samplesTotal(before, "t-0"), samplesTotal(before, "t-1")};
        String bootstrap = RealInfra.kafkaBootstrap();
        UUID jobId = UUID.randomUUID();
        int steps = 3;
        List<PlanDevice> devices = DEVICES;
        Plan plan = plan(jobId, steps);
        try (Clients clients = new Clients(bootstrap, jobId)) {
            var up = clients.up;
            var json = clients.json;
            var bytesOut = clients.bytesOut;
            var jsonOut = clients.jsonOut;
            up.subscribe(List.of(Topics.gradUp("t")));
            json.subscribe(List.of(Topics.STEP_METRICS, Topics.DEVICE_HEARTBEATS, Topics.CHECKPOINT_SHARDS));
            jsonOut.send(new ProducerRecord<>(Topics.PLANS, jobId.toString(), mapper.writeValueAsString(plan))).get();

            Map<String, List<Chunk>> pending = new HashMap<>();
            List<StepMetric> metrics = new ArrayList<>();
            List<Heartbeat> heartbeats = new ArrayList<>();
            List<io.crosstrain.contracts.CheckpointShard> shards = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 120_000;
            // the last step's checkpoint is uploaded in the background: its shard may come after the last metric
            while ((metrics.size() < devices.size() * steps || shards.isEmpty())
                    && System.currentTimeMillis() < deadline) {
                for (var rec : up.poll(Duration.ofMillis(100))) {
                    Chunk c = TensorCodec.decode(rec.value());
                    if (!c.meta().jobId().equals(jobId)) {
                        continue; // another test's job
                    }
                    String key = c.meta().round() + ":" + c.chunkIndex();
                    List<Chunk> parts = pending.computeIfAbsent(key, k -> new ArrayList<>());
                    parts.add(c);
                    // the node reduces its devices first: one contribution per node and round
                    assertThat(c.meta().sender()).isEqualTo("t-node-0");
                    assertThat(c.meta().sampleCount()).isEqualTo(5);
                    if (parts.size() == 1) {
                        bytesOut.send(averaged(jobId, parts)).get();
                    }
                }
                for (var rec : json.poll(Duration.ofMillis(10))) {
                    if (rec.topic().equals(Topics.STEP_METRICS)) {
                        StepMetric m = mapper.readValue(rec.value(), StepMetric.class);
                        if (!m.jobId().equals(jobId)) {
                            continue;
                        }
                        assertThat(m.error()).as("device error").isNull();
                        metrics.add(m);
                    } else if (rec.topic().equals(Topics.CHECKPOINT_SHARDS)) {
                        var shard = mapper.readValue(rec.value(), io.crosstrain.contracts.CheckpointShard.class);
                        if (shard.jobId().equals(jobId)) {
                            assertThat(rec.key()).isEqualTo(jobId.toString());
                            shards.add(shard);
                        }
                    } else {
                        heartbeats.add(mapper.readValue(rec.value(), Heartbeat.class));
                    }
                }
            }

            assertThat(metrics).hasSize(devices.size() * steps);
            for (StepMetric m : metrics) {
                assertThat(m.loss()).isFinite().isPositive();
                assertThat(m.busyMs()).as("paced to the emulated chip").isGreaterThanOrEqualTo(50.0);
                assertThat(m.wanBytes()).isEqualTo(123L * TensorCodec.chunkCount(Codec.FP32, "relay-t",
                        m.parameters()));
                assertThat(m.mode()).isEqualTo("emulated");
            }
            List<String> finalHashes = metrics.stream().filter(StepMetric::last).map(StepMetric::weightsHash).toList();
            assertThat(finalHashes).hasSize(2).doesNotContainNull();
            assertThat(finalHashes.get(0)).as("replicas identical").isEqualTo(finalHashes.get(1));
            assertThat(heartbeats).extracting(Heartbeat::deviceId).contains("t-0", "t-1");
            assertThat(heartbeats).allSatisfy(h -> assertThat(h.cpuFlopsPerSec()).isPositive());
            // the last step is always checkpointed, by the lowest-ranked device, into the configured store
            assertThat(shards).singleElement().satisfies(shard -> {
                assertThat(shard.step()).isEqualTo(steps);
                assertThat(shard.deviceId()).isEqualTo("t-0");
                assertThat(shard.count()).isEqualTo(shard.total()).isEqualTo(metrics.get(0).parameters());
                assertThat(CHECKPOINTS.resolve(shard.key())).isRegularFile().hasSize(shard.bytes());
            });
        }

        // the device meters, as Prometheus reads them: 3 steps of batch 3 on t-0, of batch 2 on t-1 on top of what
        // other tests ran on these devices (a metric is counted right after its send returned: the consumer above
        // may have been quicker)
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String scraped = scrape();
            assertThat(samplesTotal(scraped, "t-0") - samplesBefore[0]).isEqualTo(9.0);
            assertThat(samplesTotal(scraped, "t-1") - samplesBefore[1]).isEqualTo(6.0);
            assertThat(scraped).contains("crosstrain_device_busy_fraction{application=\"gpu-worker\",chip=\"H20\"",
                    "crosstrain_device_samples_per_second{application=\"gpu-worker\",chip=\"A100-80G\"");
        });
    }

    private String scrape() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The device's samples counter in a scrape; 0 before its first step. */
    private static double samplesTotal(String scraped, String device) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^crosstrain_device_samples_total\\{[^}]*device=\""
                + device + "\"[^}]*} (\\S+)$").matcher(scraped);
        return m.find() ? Double.parseDouble(m.group(1)) : 0.0;
    }

    @Test
    void aCancellingJobEventStopsTheRunAfterOneRoundWithALastMetricOfEveryDevice() throws Exception {
        String bootstrap = RealInfra.kafkaBootstrap();
        UUID jobId = UUID.randomUUID();
        int steps = 400;
        List<PlanDevice> devices = DEVICES;
        Plan plan = plan(jobId, steps);
        try (Clients clients = new Clients(bootstrap, jobId)) {
            var up = clients.up;
            var json = clients.json;
            var bytesOut = clients.bytesOut;
            var jsonOut = clients.jsonOut;
            up.subscribe(List.of(Topics.gradUp("t")));
            json.subscribe(List.of(Topics.STEP_METRICS));
            jsonOut.send(new ProducerRecord<>(Topics.PLANS, jobId.toString(), mapper.writeValueAsString(plan))).get();

            List<StepMetric> metrics = new ArrayList<>();
            List<Long> markedRounds = new ArrayList<>();
            boolean cancelled = false;
            long deadline = System.currentTimeMillis() + 120_000;
            long quietUntil = Long.MAX_VALUE;
            while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
                for (var rec : up.poll(Duration.ofMillis(100))) {
                    Chunk c = TensorCodec.decode(rec.value());
                    if (!c.meta().jobId().equals(jobId)) {
                        continue;
                    }
                    // the relay passes the node's stop mark on to the round's average
                    var mark = rec.headers().lastHeader(RoundStop.HEADER);
                    boolean stop = mark != null && RoundStop.requested(mark.value());
                    if (stop && c.chunkIndex() == 0) {
                        markedRounds.add(c.meta().round());
                    }
                    ProducerRecord<String, byte[]> down = averaged(jobId, new ArrayList<>(List.of(c)));
                    if (stop) {
                        down.headers().add(RoundStop.HEADER, RoundStop.YES);
                    }
                    bytesOut.send(down).get();
                }
                for (var rec : json.poll(Duration.ofMillis(10))) {
                    StepMetric m = mapper.readValue(rec.value(), StepMetric.class);
                    if (!m.jobId().equals(jobId)) {
                        continue;
                    }
                    assertThat(m.error()).as("device error").isNull();
                    metrics.add(m);
                }
                if (!cancelled && metrics.size() >= 2 * devices.size()) {
                    JobEvent event = new JobEvent(UUID.randomUUID(), jobId, JobEvent.STATE_CHANGED,
                            JobState.CANCELLING, null, "test cancel", Instant.now());
                    jsonOut.send(new ProducerRecord<>(Topics.JOB_EVENTS, jobId.toString(),
                            mapper.writeValueAsString(event))).get();
                    cancelled = true;
                }
                if (quietUntil == Long.MAX_VALUE && metrics.stream().filter(StepMetric::last).count() == 2) {
                    quietUntil = System.currentTimeMillis() + 1_500; // long enough for any further step to show
                }
            }

            List<StepMetric> last = metrics.stream().filter(StepMetric::last).toList();
            assertThat(last).as("a last metric of each device").hasSize(2);
            assertThat(last).extracting(StepMetric::deviceId).containsExactlyInAnyOrder("t-0", "t-1");
            int stopStep = last.get(0).step();
            assertThat(markedRounds).containsExactly((long) stopStep);
            assertThat(stopStep).isGreaterThanOrEqualTo(2).isLessThan(steps);
            assertThat(last).allMatch(m -> m.step() == stopStep).allMatch(m -> m.weightsHash() != null);
            assertThat(last.get(0).weightsHash()).as("replicas identical").isEqualTo(last.get(1).weightsHash());
            assertThat(metrics).as("no step after the last").allMatch(m -> m.step() <= stopStep);
            assertThat(metrics).hasSize(2 * stopStep);
        }
    }

    /** The worker's two devices (see the test's worker properties): t-0 an A100 with batch 3, t-1 an H20 with 2. */
    static final List<PlanDevice> DEVICES = List.of(
            new PlanDevice("t-0", "t-node-0", "t", "A100-80G", 0, 3, 1, 1000, 0.05),
            new PlanDevice("t-1", "t-node-0", "t", "H20", 1, 2, 1, 500, 0.05));

    /** A sync-DP plan of a tiny model over {@link #DEVICES}. */
    static Plan plan(UUID jobId, int steps) {
        return new Plan(jobId, 1, "sync-dp", "balanced", Plan.EMULATED, 1e-4, new ModelSpec(1, 32, 2, 16, 0),
                DatasetSpec.bundled(), steps, 5, 0.01, 11, 1, List.of("t"), DEVICES,
                new Plan.Prediction(0.05, 1, 0.5, 0));
    }

    /** The test's stand-in for the relay and job-api on the real broker: what it reads and what it sends. */
    static final class Clients implements AutoCloseable {
        final KafkaConsumer<String, byte[]> up;
        final KafkaConsumer<String, String> json;
        final KafkaProducer<String, byte[]> bytesOut;
        final KafkaProducer<String, String> jsonOut;

        Clients(String bootstrap, UUID jobId) {
            Map<String, Object> consumerConfig = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.GROUP_ID_CONFIG, "test-" + jobId,
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            up = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new ByteArrayDeserializer());
            json = new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer());
            bytesOut = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 2 * 1024 * 1024), new StringSerializer(),
                    new ByteArraySerializer());
            jsonOut = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                    new StringSerializer(), new StringSerializer());
        }

        @Override
        public void close() {
            up.close();
            json.close();
            bytesOut.close();
            jsonOut.close();
        }
    }

    /** What the relay does for one datacenter alone: Σ batch-weighted gradients / Σ batch, in rank order. */
    private static ProducerRecord<String, byte[]> averaged(UUID jobId, List<Chunk> parts) {
        parts.sort((a, b) -> a.meta().sender().compareTo(b.meta().sender()));
        Chunk first = parts.get(0);
        float[] sum = new float[first.values().length];
        int samples = 0;
        for (Chunk c : parts) {
            for (int i = 0; i < sum.length; i++) {
                sum[i] += c.values()[i];
            }
            samples += c.meta().sampleCount();
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] /= samples;
        }
        ChunkMeta meta = new ChunkMeta(jobId, first.meta().round(), 1, "relay-t", samples, Codec.FP32);
        byte[] bytes = TensorCodec.encodeChunk(meta, first.chunkIndex(), first.chunkCount(), first.totalElements(),
                first.elementOffset(), sum, 0, sum.length);
        var record = new ProducerRecord<>(Topics.gradDown("t"), jobId + ":" + meta.round() + ":" + first.chunkIndex(),
                bytes);
        record.headers().add("wan-bytes", ChunkHeaders.encodeLong(123));
        return record;
    }
}
