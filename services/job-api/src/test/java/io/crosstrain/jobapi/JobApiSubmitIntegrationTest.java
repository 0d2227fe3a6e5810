package io.crosstrain.jobapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.JobState;
import io.crosstrain.jobapi.domain.Fixtures;
import tools.jackson.databind.JsonNode;

/** Submitting a job over REST: what is stored and published, and the problem+json answer a bad request gets. */
class JobApiSubmitIntegrationTest extends JobApiIntegrationTestBase {

    @Test
    void submitStoresAPendingJobAndPublishesSubmitted() {
        MvcTestResult created = submit(Fixtures.spec("submit-test"));
        assertThat(created).hasStatus(201);
        JsonNode job = body(created);
        String id = job.path("id").asString();
        assertThat(created).headers().hasValue("Location", "/api/v1/jobs/" + id);
        assertThat(job.path("name").asString()).isEqualTo("submit-test");
        assertThat(job.path("state").asString()).isEqualTo("PENDING");
        assertThat(job.path("step").asInt()).isZero();
        assertThat(job.path("steps").asInt()).isEqualTo(3);
        assertThat(job.path("progress").asDouble()).isZero();
        assertThat(job.path("createdAt").isString()).isTrue();
        assertThat(job.path("updatedAt").isString()).isTrue();
        assertThat(job.path("spec").path("model").path("dModel").asInt()).isEqualTo(64);
        assertThat(job.has("reason")).isTrue();

        JobEvent submitted = awaitEvent(e -> e.jobId().toString().equals(id) && JobEvent.SUBMITTED.equals(e.type()));
        assertThat(submitted.state()).isEqualTo(JobState.PENDING);
        assertThat(submitted.spec().name()).isEqualTo("submit-test");
        assertThat(submitted.eventId()).isNotNull();
        assertThat(received).filteredOn(r -> r.key().equals(id)).isNotEmpty();

        assertThat(get("/api/v1/jobs/" + id).path("state").asString()).isEqualTo("PENDING");
        assertProblem(mvc.get().uri("/api/v1/jobs/" + id + "/plan").exchange(), 404);
        MvcTestResult report = mvc.get().uri("/api/v1/jobs/" + id + "/report").exchange();
        assertProblem(report, 409);
        assertThat(body(report).path("detail").asString()).isEqualTo("no metrics yet");
        assertProblem(mvc.get().uri("/api/v1/jobs/" + UUID.randomUUID()).exchange(), 404);
        assertProblem(mvc.get().uri("/api/v1/jobs/not-a-uuid").exchange(), 400);
        assertThat(mvc.get().uri("/actuator/health")).hasStatusOk().bodyJson()
                .extractingPath("$.status").isEqualTo("UP");
    }

    @Test
    void aRejectedSubmitNamesTheFieldsAndStoresNothing() {
        long before = rows();
        String valid = json.writeValueAsString(Fixtures.spec("valid"));

        JsonNode problem = assertProblem(post(valid.replace("\"steps\":3", "\"steps\":0")
                .replace("\"learningRate\":0.001", "\"learningRate\":2.0")
                .replace("\"dModel\":64", "\"dModel\":66")), 400);
        assertThat(problem.path("errors").findValuesAsString("field"))
                .containsExactlyInAnyOrder("steps", "learningRate", "model.dModel");

        assertThat(assertProblem(post(valid.replace("{\"name\"", "{\"colour\":5,\"name\"")), 400)
                .path("field").asString()).isEqualTo("colour");
        assertThat(assertProblem(post(valid.replace("\"steps\":3", "\"steps\":\"many\"")), 400)
                .path("field").asString()).isEqualTo("steps");
        assertThat(assertProblem(post(valid.replace("\"seqLen\":32", "\"seqLen\":null")), 400)
                .path("field").asString()).isEqualTo("model.seqLen");
        assertThat(assertProblem(post(valid.replace("\"hashEvery\":1", "\"hashEvery\":1,\"baselineFor\":\""
                + UUID.randomUUID() + "\"")), 400).path("field").asString()).isEqualTo("baselineFor");
        assertThat(assertProblem(post("{not json"), 400).path("status").asInt()).isEqualTo(400);
        assertThat(assertProblem(mvc.get().uri("/api/v1/jobs?state=DONE").exchange(), 400).path("field")
                .asString()).isEqualTo("state");

        assertThat(rows()).isEqualTo(before);
    }

    @Test
    void controlCharactersAreRefusedWithTheFieldNamedAndNothingStored() {
        long before = rows();
        String valid = json.writeValueAsString(Fixtures.spec("valid"));
        // NUL reached PostgreSQL, which refused it: a 500 instead of a 400
        JsonNode nul = assertProblem(post(valid.replace("\"name\":\"valid\"", "\"name\":\"va\\u0000lid\"")), 400);
        assertThat(nul.path("field").asString()).isEqualTo("name");
        assertThat(nul.path("errors").get(0).path("message").asString()).contains("U+0000 at position 2");
        assertThat(assertProblem(post(valid.replace("\"name\":\"valid\"", "\"name\":\"va\\u001blid\"")), 400)
                .path("field").asString()).isEqualTo("name");
        // free text may hold line breaks, a name may not
        assertThat(assertProblem(post(valid.replace("\"name\":\"valid\"", "\"name\":\"va\\nlid\"")), 400)
                .path("errors").get(0).path("message").asString()).contains("U+000A");
        // any string of the body, before the validator sees it
        JsonNode kind = assertProblem(post(valid.replace("\"kind\":\"bundled\"", "\"kind\":\"bund\\u0000led\"")),
                400);
        assertThat(kind.path("field").asString()).isEqualTo("dataset.kind");
        assertThat(kind.path("errors").get(0).path("message").asString()).contains("control characters");
        assertThat(assertProblem(mvc.get().uri("/api/v1/jobs").param("state", "RUNNING\u0000").exchange(), 400).path("errors")
                .get(0).path("message").asString()).contains("control characters");
        assertThat(rows()).isEqualTo(before);
    }

    @Test
    void aSpecMayNameABuiltInModelSize() {
        JsonNode sizes = get("/api/v1/models");
        assertThat(top(sizes, "name")).containsExactly("tiny", "small", "medium", "large");
        long previous = 0;
        for (JsonNode size : sizes) {
            assertThat(size.path("parameters").asLong()).isGreaterThan(previous);
            previous = size.path("parameters").asLong();
        }
        String spec = json.writeValueAsString(Fixtures.spec("preset-test"));
        String named = spec.replaceFirst("\"model\":\\{[^}]*}", "\"model\":\"medium\"");
        assertThat(named).contains("\"model\":\"medium\"");
        MvcTestResult created = post(named);
        assertThat(created).hasStatus(201);
        assertThat(body(created).path("spec").path("model").path("dModel").asInt()).isEqualTo(128);
        MvcTestResult unknown = post(named.replace("\"medium\"", "\"gigantic\""));
        assertThat(assertProblem(unknown, 400).path("field").asString()).isEqualTo("model");
    }

    @Test
    void anOversizedBodyIsRefusedWith413AndStoresNothing() {
        long before = rows();
        String huge = json.writeValueAsString(Fixtures.spec("x".repeat(2 * 1024 * 1024)));
        MvcTestResult refused = post(huge);
        assertThat(refused).hasStatus(413);
        assertThat(body(refused).path("field").asString()).isEqualTo("body");
        assertThat(rows()).isEqualTo(before);
    }

    @Test
    void strategyAutoIsAccepted() {
        JobSpec base = Fixtures.spec("auto-test");
        MvcTestResult created = submit(base.withStrategy("auto"));
        assertThat(created).hasStatus(201);
        assertThat(body(created).path("spec").path("strategy").asString()).isEqualTo("auto");
        assertThat(assertProblem(submit(base.withStrategy("fastest")), 400).path("field").asString())
                .isEqualTo("strategy");
    }

    @Test
    void uploadedTextLandsInTheDataDirectoryAndAJobCanTrainOnIt() throws Exception {
        byte[] text = "The quick brown fox jumps over the lazy dog. ".repeat(100).getBytes(StandardCharsets.UTF_8);
        MvcTestResult uploaded = mvc.post().uri("/api/v1/datasets").multipart()
                .file(new org.springframework.mock.web.MockMultipartFile("file", "fox.txt", "text/plain", text))
                .exchange();
        assertThat(uploaded).hasStatus(201);
        JsonNode stored = body(uploaded);
        String path = stored.path("dataset").path("path").asString();
        assertThat(path).startsWith("uploads/").endsWith(".txt");
        assertThat(java.nio.file.Files.readAllBytes(DATA_DIR.resolve(path))).isEqualTo(text);
        assertThat(stored.path("bytes").asLong()).isEqualTo(text.length);

        JobSpec base = Fixtures.spec("on-upload");
        JobSpec spec = new JobSpec(base.name(), base.model(), new io.crosstrain.contracts.DatasetSpec("path", null,
                path), base.steps(), base.globalBatch(), base.learningRate(), base.seed(), base.strategy(),
                base.allocation(), base.devices(), null, base.timeScale(), base.hashEvery());
        assertThat(submit(spec)).hasStatus(201);
    }

    @Test
    void onlyACallerTokenOfTheStackIsAnsweredAndAServiceIdentitySeesNoJob() {
        UUID id = submitted("service-identity");
        for (String path : List.of("/api/v1/jobs", "/api/v1/jobs/" + id)) {
            // an API key is for the gateway; behind it only caller tokens count, and nothing is an admin by default
            assertThat(mvc.get().uri(path).header("Authorization", "Bearer ctk_some-api-key")).hasStatus(401);
            assertThat(mvc.get().uri(path).header("Authorization", io.crosstrain.testsupport.TestCallers.bearer(
                    io.crosstrain.auth.CallerScope.service("scheduler")))).hasStatus(403);
        }
    }

    @Test
    void uploadsArePerTenantAndATenantsJobsTrainOnlyOnItsOwn() throws Exception {
        byte[] text = "Pack my box with five dozen liquor jugs. ".repeat(60).getBytes(StandardCharsets.UTF_8);
        MvcTestResult uploaded = mvc.post().uri("/api/v1/datasets").multipart()
                .file(new org.springframework.mock.web.MockMultipartFile("file", "jugs.txt", "text/plain", text))
                .header("Authorization", io.crosstrain.testsupport.TestCallers.bearer("acme", "user")).exchange();
        assertThat(uploaded).hasStatus(201);
        String path = body(uploaded).path("dataset").path("path").asString();
        assertThat(path).startsWith("uploads/acme/").endsWith(".txt");
        assertThat(java.nio.file.Files.readAllBytes(DATA_DIR.resolve(path))).isEqualTo(text);

        JobSpec base = Fixtures.spec("per-tenant-upload");
        java.util.function.Function<String, JobSpec> on = p -> new JobSpec(base.name(), base.model(),
                new io.crosstrain.contracts.DatasetSpec("path", null, p), base.steps(), base.globalBatch(),
                base.learningRate(), base.seed(), base.strategy(), base.allocation(), base.devices(), null,
                base.timeScale(), base.hashEvery());
        long before = rows();
        // another tenant's upload, a file beside the uploads, and a folder below one's own are all refused
        for (String[] attempt : List.of(new String[] {"globex", path}, new String[] {"acme", "corpus.txt"},
                new String[] {"acme", "uploads/acme/sub/x.txt"})) {
            assertThat(assertProblem(submitAs(attempt[0], "user", on.apply(attempt[1]), null), 400).path("field")
                    .asString()).as(attempt[0] + " " + attempt[1]).isEqualTo("dataset.path");
        }
        assertThat(rows()).isEqualTo(before);
        assertThat(submitAs("acme", "user", on.apply(path), null)).hasStatus(201);
    }

    @Test
    void uploadsThatAreNotTextOrTooShortAreRefused() {
        byte[] binary = new byte[4096];
        binary[0] = (byte) 0xC3; // a lone lead byte: not UTF-8
        MvcTestResult notText = mvc.post().uri("/api/v1/datasets").multipart()
                .file(new org.springframework.mock.web.MockMultipartFile("file", "x.bin", "text/plain", binary))
                .exchange();
        assertThat(assertProblem(notText, 400).path("field").asString()).isEqualTo("file");
        MvcTestResult tooShort = mvc.post().uri("/api/v1/datasets").multipart()
                .file(new org.springframework.mock.web.MockMultipartFile("file", "x.txt", "text/plain",
                        "tiny".getBytes(StandardCharsets.UTF_8)))
                .exchange();
        assertThat(assertProblem(tooShort, 400).path("field").asString()).isEqualTo("file");
    }
}
