package io.crosstrain.jobapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

import io.crosstrain.checkpoint.CheckpointKeys;
import io.crosstrain.checkpoint.CheckpointManifest;
import io.crosstrain.checkpoint.CheckpointStore;
import io.crosstrain.checkpoint.Checkpoints;
import io.crosstrain.checkpoint.Safetensors;
import io.crosstrain.checkpoint.ShardState;
import io.crosstrain.contracts.CheckpointRef;
import io.crosstrain.contracts.CheckpointShard;
import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.Topics;
import io.crosstrain.jobapi.domain.Fixtures;
import io.crosstrain.training.CharTokenizer;
import io.crosstrain.training.Corpus;
import io.crosstrain.training.DeviceTrainer;
import io.crosstrain.training.TinyTransformer;
import tools.jackson.databind.JsonNode;

/**
 * Checkpoints as the workers announce their shards over Kafka (written here to the same local store first, as a
 * worker does): when a checkpoint exists, what is announced and pruned, the model export and sampling from it.
 */
class JobApiCheckpointIntegrationTest extends JobApiIntegrationTestBase {

    static final ModelSpec MODEL = Fixtures.spec("x").model();
    static final CharTokenizer TOKENIZER = Corpus.bundled("grammar-en").tokenizer();
    static final int VOCAB = TOKENIZER.vocabSize();
    static final int P = Math.toIntExact(MODEL.parameters(VOCAB));

    @Autowired
    CheckpointStore store;

    @Test
    void aCheckpointExistsOnlyOnceItsShardsCoverTheVectorAndIsAnnouncedOnce() throws Exception {
        UUID id = planned("checkpoint-cover");
        float[] w = ramp();
        int half = P / 2;
        CheckpointShard first = writeShard(id, 2, w, 0, half, 5.0, 30.0);
        CheckpointShard second = writeShard(id, 2, w, half, P - half, 8.0, 45.0);

        announce(first);
        await().atMost(Duration.ofSeconds(30)).until(() -> shardRows(id) == 1);
        // a torn checkpoint: no manifest, not listed, nothing to export
        assertThat(store.get(CheckpointKeys.manifest(id, 2))).isEmpty();
        assertThat(get("/api/v1/jobs/" + id + "/checkpoints").size()).isZero();
        assertProblem(mvc.get().uri("/api/v1/jobs/" + id + "/model").exchange(), 404);

        announce(second);
        JsonNode list = awaitCheckpoints(id, 1);
        JsonNode c = list.get(0);
        String key = CheckpointKeys.manifest(id, 2);
        assertThat(c.path("step").asLong()).isEqualTo(2);
        assertThat(c.path("planVersion").asInt()).isEqualTo(1);
        assertThat(c.path("bytes").asLong()).isEqualTo(first.bytes() + second.bytes());
        assertThat(c.path("uploadMillis").asDouble()).isEqualTo(45.0);
        assertThat(c.path("pauseMillis").asDouble()).isEqualTo(8.0);
        assertThat(c.path("manifest").asString()).isEqualTo(key);
        assertThat(c.path("location").asString()).isEqualTo(store.location(key)).startsWith("file:");
        CheckpointManifest manifest = Checkpoints.read(store, key);
        assertThat(manifest.parameters()).isEqualTo(P);
        assertThat(manifest.vocabSize()).isEqualTo(VOCAB);
        assertThat(manifest.updates()).isEqualTo(2);
        assertThat(manifest.shards()).hasSize(2);
        assertThat(Checkpoints.range(store, manifest, 0, P).weights()).isEqualTo(w);
        JobEvent announced = awaitEvent(e -> e.jobId().equals(id) && JobEvent.CHECKPOINTED.equals(e.type()));
        assertThat(announced.checkpoint()).isEqualTo(new CheckpointRef(2, 1, key, first.bytes() + second.bytes()));

        // a redelivery and a replica's copy of the same range change nothing; a later shard of the same job (same
        // partition) tells us both were processed
        announce(second);
        announce(new CheckpointShard(id, 1, 2, "dev-b", first.offset(), first.count(), P, first.key(),
                first.bytes(), first.sha256(), 1.0, 1.0));
        announce(writeShard(id, 3, w, 0, half, 1.0, 1.0));
        await().atMost(Duration.ofSeconds(30)).until(() -> shardRows(id) == 3);
        assertThat(jdbc.sql("select count(*) from job_api.outbox where job_id = :id and event_type = 'CHECKPOINTED'")
                .param("id", id).query(Long.class).single()).isEqualTo(1);
        assertThat(get("/api/v1/jobs/" + id + "/checkpoints").size()).isEqualTo(1);

        // the report lists it
        Fixtures.threeSteps(id).forEach(m -> publish(Topics.STEP_METRICS, id, json.writeValueAsString(m)));
        awaitState(id, "SUCCEEDED");
        JsonNode reported = get("/api/v1/jobs/" + id + "/report").path("checkpoints");
        assertThat(reported.size()).isEqualTo(1);
        assertThat(reported.get(0).path("step").asLong()).isEqualTo(2);
        assertThat(reported.get(0).path("location").asString()).isEqualTo(store.location(key));
    }

    @Test
    void onlyTheNewestCheckpointsTheSpecKeepsStay() throws Exception {
        MvcTestResult created = submit(Fixtures.specKeeping("checkpoint-prune", 2));
        UUID id = UUID.fromString(body(created).path("id").asString());
        publish(Topics.PLANS, id, json.writeValueAsString(Fixtures.plan(id, Plan.EMULATED, 50.0)));
        awaitState(id, "SCHEDULED");
        float[] w = ramp();
        for (long step = 1; step <= 3; step++) {
            announce(writeShard(id, step, w, 0, P, 1.0, 1.0));
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                get("/api/v1/jobs/" + id + "/checkpoints").findValuesAsString("manifest"))
                .containsExactly(CheckpointKeys.manifest(id, 2), CheckpointKeys.manifest(id, 3)));
        assertThat(Checkpoints.steps(store, id)).containsExactly(2L, 3L);
        assertThat(store.list(CheckpointKeys.stepPrefix(id, 1))).isEmpty();
        assertThat(jdbc.sql("select count(*) from job_api.checkpoint_shards where job_id = :id and step = 1")
                .param("id", id).query(Long.class).single()).isZero();
    }

    @Test
    void theExportHoldsEveryParameterByNameAndShapeWithConfigAndVocabulary() throws Exception {
        UUID id = planned("checkpoint-export");
        assertThat(assertProblem(mvc.get().uri("/api/v1/jobs/" + id + "/model").exchange(), 404)
                .path("detail").asString()).contains("no checkpoint");
        float[] w = ramp();
        announce(writeShard(id, 4, w, 0, P, 1.0, 1.0));
        awaitCheckpoints(id, 1);

        MvcTestResult zip = mvc.get().uri("/api/v1/jobs/" + id + "/model").exchange();
        assertThat(zip).hasStatusOk().hasContentType("application/zip");
        assertThat(zip.getResponse().getHeader("Content-Disposition"))
                .isEqualTo("attachment; filename=\"crosstrain-" + id + "-step-4.zip\"");
        Map<String, byte[]> files = unzip(zip.getResponse().getContentAsByteArray());
        assertThat(files.keySet()).containsExactly("model.safetensors", "config.json", "vocab.json");

        byte[] safetensors = files.get("model.safetensors");
        LinkedHashMap<String, Safetensors.Tensor> tensors = Safetensors.read(safetensors);
        Map<String, long[]> shapes = TinyTransformer.parameterShapes(MODEL, VOCAB);
        assertThat(tensors.keySet()).containsExactlyElementsOf(shapes.keySet());
        int offset = 0;
        for (Map.Entry<String, long[]> p : shapes.entrySet()) {
            Safetensors.Tensor t = tensors.get(p.getKey());
            assertThat(t.shape()).as(p.getKey()).isEqualTo(p.getValue());
            assertThat(t.data()).as(p.getKey()).isEqualTo(Arrays.copyOfRange(w, offset, offset + t.data().length));
            offset += t.data().length;
        }
        assertThat(offset).isEqualTo(P);
        assertThat(Safetensors.metadata(safetensors)).containsEntry("job", id.toString()).containsEntry("step", "4")
                .containsEntry("format", "pt");

        JsonNode config = json.readTree(files.get("config.json"));
        assertThat(config.path("layers").asInt()).isEqualTo(2);
        assertThat(config.path("dModel").asInt()).isEqualTo(64);
        assertThat(config.path("heads").asInt()).isEqualTo(4);
        assertThat(config.path("seqLen").asInt()).isEqualTo(32);
        assertThat(config.path("vocabSize").asInt()).isEqualTo(VOCAB);
        assertThat(config.path("parameters").asLong()).isEqualTo(P);
        assertThat(config.path("tokenizer").asString()).isEqualTo("char");
        List<String> vocab = new ArrayList<>();
        json.readTree(files.get("vocab.json")).forEach(v -> vocab.add(v.asString()));
        assertThat(String.join("", vocab).codePoints().toArray()).isEqualTo(TOKENIZER.vocabulary());

        MvcTestResult one = mvc.get().uri("/api/v1/jobs/" + id + "/model?part=vocab.json&checkpoint=4").exchange();
        assertThat(one).hasStatusOk().hasContentTypeCompatibleWith(MediaType.APPLICATION_JSON);
        assertThat(one.getResponse().getContentAsByteArray()).isEqualTo(files.get("vocab.json"));
        assertThat(assertProblem(mvc.get().uri("/api/v1/jobs/" + id + "/model?part=weights.bin").exchange(), 400)
                .path("field").asString()).isEqualTo("part");
        assertThat(assertProblem(mvc.get().uri("/api/v1/jobs/" + id + "/model?checkpoint=-1").exchange(), 400)
                .path("field").asString()).isEqualTo("checkpoint");
        assertProblem(mvc.get().uri("/api/v1/jobs/" + id + "/model?checkpoint=3").exchange(), 404);
        assertProblem(as(mvc.get().uri("/api/v1/jobs/" + id + "/model"), "acme", "user").exchange(), 404);
    }

    @Test
    void generateSamplesTheNewestCheckpointReproduciblyAndNamesBadFields() throws Exception {
        UUID id = planned("checkpoint-generate");
        assertProblem(generate(id, "{\"prompt\":\"The \",\"maxTokens\":5}"), 404);
        float[] w;
        String expected;
        try (DeviceTrainer local = new DeviceTrainer(MODEL, VOCAB, 11L, 1e-3)) {
            w = local.weights();
            expected = local.generate(TOKENIZER, "The ", 60, 0.8, 10, 42);
        }
        announce(writeShard(id, 3, w, 0, P, 1.0, 1.0));
        awaitCheckpoints(id, 1);

        String request = "{\"prompt\":\"The \",\"maxTokens\":60,\"temperature\":0.8,\"topK\":10,\"seed\":42}";
        MvcTestResult first = generate(id, request);
        assertThat(first).hasStatusOk();
        JsonNode answer = body(first);
        // the service loaded exactly the checkpoint's weights: the same text as the model they came from
        assertThat(answer.path("text").asString()).hasSize(60).isEqualTo(expected);
        assertThat(answer.path("step").asLong()).isEqualTo(3);
        assertThat(answer.path("mode").asString()).isEqualTo("cpu");
        assertThat(answer.path("seed").asLong()).isEqualTo(42);
        assertThat(answer.path("checkpoint").asString()).isEqualTo(store.location(CheckpointKeys.manifest(id, 3)));
        assertThat(body(generate(id, request)).path("text").asString()).isEqualTo(expected);

        // without a seed one is chosen and answered; it reproduces the text
        JsonNode random = body(generate(id, "{\"prompt\":\"a\",\"maxTokens\":20}"));
        assertThat(body(generate(id, "{\"prompt\":\"a\",\"maxTokens\":20,\"seed\":" + random.path("seed").asLong()
                + "}")).path("text").asString()).isEqualTo(random.path("text").asString()).hasSize(20);

        JsonNode bad = assertProblem(generate(id,
                "{\"prompt\":\"5 \u20ac or \u00a3\",\"maxTokens\":0,\"temperature\":0,\"topK\":" + (VOCAB + 1) + "}"),
                400);
        assertThat(bad.path("errors").findValuesAsString("field"))
                .containsExactlyInAnyOrder("prompt", "maxTokens", "temperature", "topK");
        assertThat(bad.toString()).contains("'\u20ac' (U+20AC)", "'\u00a3' (U+00A3)");
        assertThat(assertProblem(generate(id, "{\"prompt\":\"a\",\"maxTokens\":2001}"), 400).path("field")
                .asString()).isEqualTo("maxTokens");
        assertThat(assertProblem(generate(id, "{\"prompt\":\"a\",\"temperature\":5.5}"), 400).path("field")
                .asString()).isEqualTo("temperature");
        assertThat(assertProblem(generate(id, "{\"promt\":\"a\"}"), 400).path("field").asString())
                .isEqualTo("promt");
    }

    @Test
    void aShardNamingAKeyOutsideItsStepIsDeadLettered() throws Exception {
        UUID id = planned("checkpoint-dlt");
        CheckpointShard good = writeShard(id, 1, ramp(), 0, P, 1.0, 1.0);
        try (KafkaConsumer<String, String> dlt = consumer(Topics.deadLetter(Topics.CHECKPOINT_SHARDS))) {
            announce(new CheckpointShard(id, 1, 1, "dev-a", 0, P, P, "jobs/" + UUID.randomUUID() + "/x.bin",
                    good.bytes(), good.sha256(), 1.0, 1.0));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> r : dlt.poll(Duration.ofMillis(200))) {
                    if (r.key().equals(id.toString())) {
                        return true;
                    }
                }
                return false;
            });
        }
        // the consumer carries on
        announce(good);
        awaitCheckpoints(id, 1);
    }

    @Test
    void theOpenApiDocumentDescribesResumeCheckpointsExportAndGenerate() throws Exception {
        String text = mvc.get().uri("/v3/api-docs").exchange().getResponse().getContentAsString();
        java.nio.file.Files.writeString(java.nio.file.Path.of("target", "job-api-openapi.json"), text); // to lint
        JsonNode paths = json.readTree(text).path("paths");
        JsonNode resume = paths.path("/api/v1/jobs/{id}/resume").path("post");
        assertThat(resume.path("responses").propertyNames()).contains("202", "409", "404");
        assertThat(paths.path("/api/v1/jobs/{id}/checkpoints").path("get").path("summary").asString()).isNotBlank();
        JsonNode model = paths.path("/api/v1/jobs/{id}/model").path("get");
        assertThat(model.path("responses").path("200").path("content").propertyNames())
                .contains("application/zip", "application/octet-stream", "application/json");
        assertThat(model.path("parameters").findValuesAsString("name")).contains("checkpoint", "part");
        JsonNode generate = paths.path("/api/v1/jobs/{id}/generate").path("post");
        assertThat(generate.path("requestBody").toString()).contains("GenerateRequest");
        assertThat(generate.path("responses").path("200").toString()).contains("Generated");
    }

    // ---------------------------------------------------------------- helpers

    UUID planned(String name) {
        UUID id = submitted(name);
        publish(Topics.PLANS, id, json.writeValueAsString(Fixtures.plan(id, Plan.EMULATED, 50.0)));
        awaitState(id, "SCHEDULED");
        return id;
    }

    /** Distinct, recognisable weights: element i is i / 10⁶. */
    static float[] ramp() {
        float[] w = new float[P];
        for (int i = 0; i < P; i++) {
            w[i] = i * 1e-6f;
        }
        return w;
    }

    /** Writes elements [from, from + count) of {@code weights} as a worker of plan v1 does, after 2 updates. */
    CheckpointShard writeShard(UUID job, long step, float[] weights, int from, int count, double pauseMs,
                               double uploadMs) throws IOException {
        ShardState state = new ShardState(from, 2, Arrays.copyOfRange(weights, from, from + count),
                new float[count], new float[count], null, null, 0);
        CheckpointManifest.Shard s = Checkpoints.writeShard(store, job, step, state);
        return new CheckpointShard(job, 1, step, "dev-a", from, count, P, s.key(), s.bytes(), s.sha256(), pauseMs,
                uploadMs);
    }

    void announce(CheckpointShard s) {
        publish(Topics.CHECKPOINT_SHARDS, s.jobId(), json.writeValueAsString(s));
    }

    long shardRows(UUID job) {
        return jdbc.sql("select count(*) from job_api.checkpoint_shards where job_id = :id").param("id", job)
                .query(Long.class).single();
    }

    JsonNode awaitCheckpoints(UUID id, int count) {
        JsonNode[] list = new JsonNode[1];
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            list[0] = get("/api/v1/jobs/" + id + "/checkpoints");
            assertThat(list[0].size()).isEqualTo(count);
        });
        return list[0];
    }

    MvcTestResult generate(UUID id, String body) {
        return mvc.post().uri("/api/v1/jobs/" + id + "/generate").contentType(MediaType.APPLICATION_JSON)
                .content(body.getBytes(StandardCharsets.UTF_8)).exchange();
    }

    static Map<String, byte[]> unzip(byte[] zip) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                files.put(e.getName(), in.readAllBytes());
            }
        }
        return files;
    }
}
