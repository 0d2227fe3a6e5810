package io.crosstrain.jobapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
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
import org.junit.jupiter.api.Test;
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
import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.jobapi.domain.Fixtures;
import io.crosstrain.testsupport.RealInfra;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The whole service against a real KRaft broker and a fresh PostgreSQL database. */
@SpringBootTest(properties = {"server.port=0", "crosstrain.job-api.metrics.eta-interval-ms=200"})
@AutoConfigureMockMvc
class JobApiIntegrationTest {

    @DynamicPropertySource
    static void props(DynamicPropertyRegistry r) {
        RealInfra.registerKafka(r);
        RealInfra.registerPostgres(r);
        r.add("crosstrain.job-api.data-dir", () -> DATA_DIR.toString());
    }

    static final java.nio.file.Path DATA_DIR = java.nio.file.Path.of("target", "job-api-data-" + UUID.randomUUID())
            .toAbsolutePath();

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
        events = consumer(Topics.JOB_EVENTS);
    }

    @AfterAll
    static void closeClients() {
        producer.close();
        events.close();
    }

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
    void aPlannedRunSucceedsCountsEachMetricOnceAndReports() {
        UUID id = submitted("run-test");
        publish(Topics.PLANS, id, json.writeValueAsString(Fixtures.plan(id, Plan.EMULATED, 50.0)));
        awaitState(id, "SCHEDULED", "RUNNING", "SUCCEEDED");
        assertThat(get("/api/v1/jobs/" + id + "/plan").path("planVersion").asInt()).isEqualTo(1);

        List<StepMetric> metrics = Fixtures.threeSteps(id);
        for (int i = 0; i < 4; i++) {
            publish(Topics.STEP_METRICS, id, json.writeValueAsString(metrics.get(i)));
        }
        // a redelivery, queued ahead of the final metrics on the same partition
        publish(Topics.STEP_METRICS, id, json.writeValueAsString(metrics.get(2)));
        publish(Topics.STEP_METRICS, id, json.writeValueAsString(metrics.get(4)));
        publish(Topics.STEP_METRICS, id, json.writeValueAsString(metrics.get(5)));

        JsonNode job = awaitState(id, "SUCCEEDED");
        assertThat(job.path("progress").asDouble()).isEqualTo(1.0);
        assertThat(job.path("step").asInt()).isEqualTo(3);
        assertThat(mvc.get().uri("/api/v1/jobs/" + id + "/metrics")).bodyJson()
                .extractingPath("$.length()").isEqualTo(6);
        assertThat(mvc.get().uri("/api/v1/jobs/" + id + "/metrics?fromStep=2")).bodyJson()
                .extractingPath("$.length()").isEqualTo(4);
        assertThat(jdbc.sql("select count(*) from job_api.step_metrics where job_id = :id").param("id", id)
                .query(Long.class).single()).isEqualTo(6);

        JsonNode report = get("/api/v1/jobs/" + id + "/report");
        for (String field : List.of("jobId", "name", "state", "mode", "strategy", "allocation", "planVersion",
                "steps", "samples", "wallSeconds", "parameters", "loss", "efficiency", "devices", "wan",
                "emulation", "replicas")) {
            assertThat(report.has(field)).as(field).isTrue();
        }
        assertThat(report.path("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(report.path("mode").asString()).isEqualTo("emulated");
        assertThat(report.path("steps").asInt()).isEqualTo(3);
        assertThat(report.path("samples").asLong()).isEqualTo(24); // not 30: the redelivery counted once
        assertThat(report.path("wallSeconds").asDouble()).isEqualTo(1.2);
        assertThat(report.path("parameters").asLong()).isEqualTo(1000);
        assertThat(report.path("loss").path("first").asDouble()).isEqualTo(3.5);
        assertThat(report.path("loss").path("last").asDouble()).isEqualTo(2.0);
        assertThat(report.path("loss").path("curve").size()).isEqualTo(3);
        JsonNode eff = report.path("efficiency");
        for (String field : List.of("eta", "equalSplitEta", "equalSplitEtaSource", "equalSplitJobId",
                "achievedSamplesPerSec", "idealSamplesPerSec", "communicationFraction", "predictedEta")) {
            assertThat(eff.has(field)).as(field).isTrue();
        }
        assertThat(eff.path("eta").asDouble()).isCloseTo(80.0 / 150.0, within(1e-9));
        assertThat(eff.path("achievedSamplesPerSec").asDouble()).isCloseTo(80.0, within(1e-9));
        assertThat(eff.path("idealSamplesPerSec").asDouble()).isCloseTo(150.0, within(1e-9));
        assertThat(eff.path("communicationFraction").asDouble()).isCloseTo(0.25, within(1e-9));
        assertThat(eff.path("equalSplitEta").asDouble()).isEqualTo(0.6);
        assertThat(eff.path("equalSplitEtaSource").asString()).isEqualTo("predicted");
        assertThat(eff.path("predictedEta").asDouble()).isEqualTo(0.9);
        JsonNode dev = report.path("devices").get(0);
        for (String field : List.of("id", "datacenter", "chip", "batch", "samplesPerSec", "busyFraction")) {
            assertThat(dev.has(field)).as(field).isTrue();
        }
        assertThat(report.path("devices").size()).isEqualTo(2);
        assertThat(report.path("wan").path("bytes").asLong()).isEqualTo(3600);
        assertThat(report.path("wan").path("syncDpBytes").asLong()).isEqualTo(24_000);
        assertThat(report.path("wan").path("reduction").asDouble()).isCloseTo(24_000 / 3600.0, within(1e-9));
        assertThat(report.path("emulation").path("timeScale").asDouble()).isEqualTo(50.0);
        assertThat(report.path("replicas").path("identical").asBoolean()).isTrue();
        assertThat(report.path("replicas").path("checkedSteps").asInt()).isEqualTo(2);
        assertThat(report.path("replicas").path("lastHash").asString()).isEqualTo("h3-bbbbbbbbbbbbbbbb");

        assertThat(mvc.get().uri("/api/v1/jobs/" + id + "/history")).bodyJson()
                .extractingPath("$[*].to").asArray()
                .containsExactly("PENDING", "SCHEDULED", "RUNNING", "SUCCEEDED");

        // the job's η as a Prometheus gauge, the report's figure, tagged with the service and the job
        String etaLine = "crosstrain_job_eta{application=\"job-api\",job=\"" + id + "\"} ";
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(prometheus()).contains(etaLine));
        String scrape = prometheus();
        int at = scrape.indexOf(etaLine) + etaLine.length();
        assertThat(Double.parseDouble(scrape.substring(at, scrape.indexOf('\n', at)).trim()))
                .isCloseTo(80.0 / 150.0, within(1e-9));
        for (JobState state : List.of(JobState.SCHEDULED, JobState.RUNNING, JobState.SUCCEEDED)) {
            awaitEvent(e -> e.jobId().equals(id) && JobEvent.STATE_CHANGED.equals(e.type()) && e.state() == state);
        }

        // the equal-split baseline of this job, once it has succeeded, supplies the measured η
        JobSpec baselineSpec = Fixtures.spec("run-test-baseline");
        baselineSpec = new JobSpec(baselineSpec.name(), baselineSpec.model(), baselineSpec.dataset(),
                baselineSpec.steps(), baselineSpec.globalBatch(), baselineSpec.learningRate(), baselineSpec.seed(),
                baselineSpec.strategy(), JobSpec.EQUAL, baselineSpec.devices(), id, null, 1);
        UUID baseline = UUID.fromString(body(submit(baselineSpec)).path("id").asString());
        publish(Topics.PLANS, baseline, json.writeValueAsString(Fixtures.plan(baseline, Plan.EMULATED, 50.0)));
        Fixtures.threeSteps(baseline).forEach(m -> publish(Topics.STEP_METRICS, baseline, json.writeValueAsString(m)));
        awaitState(baseline, "SUCCEEDED");
        JsonNode withBaseline = get("/api/v1/jobs/" + id + "/report").path("efficiency");
        assertThat(withBaseline.path("equalSplitEtaSource").asString()).isEqualTo("measured");
        assertThat(withBaseline.path("equalSplitJobId").asString()).isEqualTo(baseline.toString());
        assertThat(withBaseline.path("equalSplitEta").asDouble()).isCloseTo(80.0 / 150.0, within(1e-9));

        assertThat(mvc.get().uri("/api/v1/jobs?state=succeeded")).bodyJson().extractingPath("$[*].id").asArray()
                .startsWith(baseline.toString(), id.toString());
    }

    @Test
    void divergedReplicasFailTheJobAndLaterMetricsAreIgnored() {
        UUID id = submitted("diverge-test");
        publish(Topics.PLANS, id, json.writeValueAsString(Fixtures.plan(id, Plan.EMULATED, 50.0)));
        publish(Topics.STEP_METRICS, id, json.writeValueAsString(
                Fixtures.metric(id, "dev-a", 1, 6, 4.0, 100, 10, 200, 0, 200, 0, "aaaaaaaaaaaaaaaaaaaa", false)));
        publish(Topics.STEP_METRICS, id, json.writeValueAsString(
                Fixtures.metric(id, "dev-b", 1, 2, 2.0, 100, 10, 200, 0, 200, 0, "bbbbbbbbbbbbbbbbbbbb", false)));

        JsonNode job = awaitState(id, "FAILED");
        assertThat(job.path("reason").asString())
                .isEqualTo("replicas diverged at step 1 (plan v1): dev-a=aaaaaaaaaaaa dev-b=bbbbbbbbbbbb");
        awaitEvent(e -> e.jobId().equals(id) && e.state() == JobState.FAILED
                && e.reason().startsWith("replicas diverged at step 1"));

        // a metric after the end is dropped; a second job's metric sent behind it on the same partition
        // tells us when it has been processed
        UUID other = submitted("diverge-test-marker");
        publish(Topics.PLANS, other, json.writeValueAsString(Fixtures.plan(other, Plan.EMULATED, 50.0)));
        awaitState(other, "SCHEDULED");
        publish(Topics.STEP_METRICS, id, json.writeValueAsString(
                Fixtures.metric(id, "dev-a", 2, 6, 3.0, 60, 20, 100, 1000, 1100, 0, null, false)));
        publish(Topics.STEP_METRICS, id, json.writeValueAsString(
                Fixtures.metric(other, "dev-a", 1, 6, 3.0, 60, 20, 100, 1000, 1100, 0, null, false)));
        awaitState(other, "RUNNING");
        assertThat(jdbc.sql("select count(*) from job_api.step_metrics where job_id = :id").param("id", id)
                .query(Long.class).single()).isEqualTo(2);
        assertThat(get("/api/v1/jobs/" + id).path("state").asString()).isEqualTo("FAILED");
    }

    @Test
    void aHashOfAnOlderPlanVersionThatArrivesAfterTheReplanIsComparedWithinThatVersion() {
        UUID id = submitted("late-hash-test");
        Plan v1 = Fixtures.plan(id, Plan.EMULATED, 50.0);
        publish(Topics.PLANS, id, json.writeValueAsString(v1));
        publish(Topics.STEP_METRICS, id, json.writeValueAsString(
                Fixtures.metric(id, "dev-a", 1, 6, 4.0, 100, 10, 200, 0, 200, 0, "aaaaaaaaaaaaaaaaaaaa", false)));
        awaitState(id, "RUNNING");
        Plan v2 = v1.next(List.of("bj"), List.of(new PlanDevice("dev-a", "node-a", "bj", "A100-80G", 0, 8, 1, 300.0,
                0.027)), v1.predicted(), 2, "lost [dev-b]", true);
        publish(Topics.PLANS, id, json.writeValueAsString(v2));
        awaitState(id, "RECOVERING");

        // dev-b's report of step 1 under v1 comes in late, and its weights differ from dev-a's
        publish(Topics.STEP_METRICS, id, json.writeValueAsString(
                Fixtures.metric(id, "dev-b", 1, 2, 2.0, 100, 10, 200, 0, 200, 0, "bbbbbbbbbbbbbbbbbbbb", false)));
        assertThat(awaitState(id, "FAILED").path("reason").asString())
                .isEqualTo("replicas diverged at step 1 (plan v1): dev-a=aaaaaaaaaaaa dev-b=bbbbbbbbbbbb");
    }

    @Test
    void aDeviceErrorOrAFailCommandFailsTheJobAndCancelStopsAPendingOne() {
        UUID crashed = submitted("error-test");
        publish(Topics.PLANS, crashed, json.writeValueAsString(Fixtures.plan(crashed, Plan.EMULATED, 50.0)));
        // the device reported step 1, then failed while still in it: same key, but the error must count
        publish(Topics.STEP_METRICS, crashed, json.writeValueAsString(
                Fixtures.metric(crashed, "dev-b", 1, 2, 2.0, 100, 10, 200, 0, 200, 0, null, false)));
        publish(Topics.STEP_METRICS, crashed, json.writeValueAsString(new StepMetric(crashed, 1, "dev-b", "sh", "H20",
                1, 2, Double.NaN, 0, 0, 0, 0, 0, 0, 0, 0, null, "emulated", false, "CUDA out of memory")));
        assertThat(awaitState(crashed, "FAILED").path("reason").asString())
                .isEqualTo("device dev-b: CUDA out of memory");
        // the failed step's figures were counted once and the error adds no work to the report
        assertThat(get("/api/v1/jobs/" + crashed + "/report").path("samples").asLong()).isEqualTo(2);

        UUID unplaceable = submitted("fail-command-test");
        publish(Topics.JOB_COMMANDS, unplaceable, json.writeValueAsString(
                new JobCommand(JobCommand.FAIL, unplaceable, null, "not enough memory on any device")));
        assertThat(awaitState(unplaceable, "FAILED").path("reason").asString())
                .isEqualTo("not enough memory on any device");

        UUID cancelled = submitted("cancel-test");
        publish(Topics.JOB_COMMANDS, cancelled, json.writeValueAsString(
                new JobCommand(JobCommand.CANCEL, cancelled, null, null)));
        awaitState(cancelled, "CANCELLED");

        UUID viaKafka = UUID.randomUUID();
        publish(Topics.JOB_COMMANDS, viaKafka, json.writeValueAsString(
                new JobCommand(JobCommand.SUBMIT, viaKafka, Fixtures.spec("kafka-submit"), null)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(mvc.get().uri("/api/v1/jobs/" + viaKafka)).hasStatusOk());
    }

    @Test
    void aRecoveryPlanTakesARunningJobThroughRecoveringAndItsDevicesFinishIt() {
        UUID id = submitted("recovery-test");
        Plan v1 = Fixtures.plan(id, Plan.EMULATED, 50.0);
        publish(Topics.PLANS, id, json.writeValueAsString(v1));
        publish(Topics.STEP_METRICS, id, json.writeValueAsString(
                Fixtures.metric(id, "dev-a", 1, 6, 4.0, 100, 10, 200, 0, 200, 0, null, false)));
        awaitState(id, "RUNNING");

        // dev-b is lost; version 2 runs everything on dev-a from step 2
        Plan v2 = v1.next(List.of("bj"), List.of(new PlanDevice("dev-a", "node-a", "bj", "A100-80G", 0, 8, 1, 300.0,
                0.027)), v1.predicted(), 2, "lost [dev-b]", true);
        publish(Topics.PLANS, id, json.writeValueAsString(v2));
        JsonNode job = awaitState(id, "RECOVERING");
        assertThat(job.path("reason").asString()).contains("lost [dev-b]");

        for (int step = 2; step <= 3; step++) {
            StepMetric m = Fixtures.metric(id, "dev-a", step, 8, 3.0, 100, 10, 200, 0, 200, 0, "h", step == 3);
            publish(Topics.STEP_METRICS, id, json.writeValueAsString(new StepMetric(m.jobId(), 2, m.deviceId(),
                    m.datacenter(), m.chip(), m.step(), m.batch(), m.loss(), m.computeMs(), m.busyMs(), m.commMs(),
                    m.stepMs(), m.startedAtMs(), m.endedAtMs(), m.wanBytes(), m.parameters(), m.weightsHash(),
                    m.mode(), m.last(), null)));
        }
        awaitState(id, "SUCCEEDED");
        assertThat(mvc.get().uri("/api/v1/jobs/" + id + "/history")).bodyJson()
                .extractingPath("$[*].to").asArray()
                .containsSubsequence("RUNNING", "RECOVERING", "RUNNING", "SUCCEEDED");
    }

    @Test
    void aPipelinedRunReportsItsLayoutsBubbleAndStagesAndNoNaN() throws Exception {
        UUID id = submitted("pipeline-test");
        publish(Topics.PLANS, id, json.writeValueAsString(Fixtures.pipelinedPlan(id)));
        awaitState(id, "SCHEDULED", "RUNNING", "SUCCEEDED");
        for (StepMetric m : Fixtures.pipelinedSteps(id, 8)) {
            publish(Topics.STEP_METRICS, id, json.writeValueAsString(m));
        }
        awaitState(id, "SUCCEEDED");

        // the first stage's NaN loss travels as valid JSON
        MvcTestResult metrics = mvc.get().uri("/api/v1/jobs/" + id + "/metrics").exchange();
        assertThat(metrics).hasStatusOk();
        String raw = metrics.getResponse().getContentAsString();
        assertThat(raw).doesNotContainPattern("[:\\[,]\\s*NaN");
        assertThat(json.readTree(raw).size()).isEqualTo(9);

        MvcTestResult result = mvc.get().uri("/api/v1/jobs/" + id + "/report").exchange();
        assertThat(result).hasStatusOk();
        String reportJson = result.getResponse().getContentAsString();
        assertThat(reportJson).doesNotContain("NaN").doesNotContain("Infinity");
        JsonNode report = json.readTree(reportJson);
        assertThat(report.path("samples").asLong()).isEqualTo(24);
        assertThat(report.path("loss").path("curve").size()).isEqualTo(3);
        assertThat(report.path("loss").path("first").asDouble()).isEqualTo(3.5);
        assertThat(report.path("loss").path("last").asDouble()).isEqualTo(2.0);
        assertThat(report.path("bubbleFraction").asDouble()).isCloseTo(0.3, within(1e-9));
        JsonNode eff = report.path("efficiency");
        assertThat(eff.path("predictedBubbleFraction").asDouble()).isEqualTo(0.25);
        assertThat(eff.path("achievedSamplesPerSec").asDouble()).isCloseTo(80.0, within(1e-9));
        // the stored chip speed each stage metric reported, not the plan's paced speed
        assertThat(eff.path("idealSamplesPerSec").asDouble()).isCloseTo(400.0, within(1e-9));
        assertThat(report.path("emulation").path("memoryScale").asDouble()).isEqualTo(0.5);

        JsonNode p0 = report.path("devices").get(0);
        assertThat(p0.path("replica").asString()).isEqualTo("bj-r0");
        assertThat(p0.path("stage").asInt()).isZero();
        assertThat(p0.path("layers").asString()).isEqualTo("0-0");
        assertThat(report.path("devices").get(2).has("replica")).isFalse();

        JsonNode bj = report.path("layouts").get(0);
        assertThat(bj.path("datacenter").asString()).isEqualTo("bj");
        assertThat(bj.path("stages").asInt()).isEqualTo(2);
        assertThat(bj.path("predictedBubbleFraction").asDouble()).isEqualTo(0.25);
        assertThat(bj.path("idle").get(0).asString()).isEqualTo("bj-idle");
        JsonNode stage1 = bj.path("replicas").get(0).path("stages").get(1);
        assertThat(stage1.path("device").asString()).isEqualTo("p1");
        assertThat(stage1.path("layers").asString()).isEqualTo("1-1");
        assertThat(stage1.path("memoryBytes").asDouble()).isEqualTo(3e9);
        assertThat(stage1.path("capacityBytes").asDouble()).isEqualTo(8e9);
        assertThat(stage1.path("busyFraction").asDouble()).isCloseTo(0.7, within(1e-9));

        JsonNode replicas = report.path("replicas");
        assertThat(replicas.path("identical").asBoolean()).isTrue();
        assertThat(replicas.path("lastHash").asString()).isEqualTo("w-3");
        assertThat(top(replicas.path("groups"), "range")).containsExactly("whole", "layers 0-0", "layers 1-1");
    }

    @Test
    void stageHashesAreComparedOnlyWithTheSameStageOfOtherReplicas() {
        // every range agrees with itself and differs from the others: the run succeeds
        UUID fine = submitted("stage-hashes-test");
        publish(Topics.PLANS, fine, json.writeValueAsString(Fixtures.twoPipelinesPlan(fine)));
        for (String[] d : new String[][] {{"p0", "bj", "s0"}, {"q0", "bj", "s0"}, {"p1", "bj", "s1"},
                {"q1", "bj", "s1"}, {"w1", "bj", "w"}, {"w2", "sh", "w"}}) {
            publish(Topics.STEP_METRICS, fine, json.writeValueAsString(Fixtures.stageMetric(fine, d[0], d[1], 1, 6,
                    d[0].endsWith("0") ? Double.NaN : 1.0, 50, 0, 100, 0, 100, 0, d[2], true, 10, 16)));
        }
        awaitState(fine, "SUCCEEDED");

        // block 0 of bj-r1 differs from bj-r0's: the job fails and the reason names the stage
        UUID diverged = submitted("stage-diverge-test");
        publish(Topics.PLANS, diverged, json.writeValueAsString(Fixtures.twoPipelinesPlan(diverged)));
        publish(Topics.STEP_METRICS, diverged, json.writeValueAsString(Fixtures.stageMetric(diverged, "p0", "bj", 1,
                6, Double.NaN, 50, 0, 100, 0, 100, 0, "aaaaaaaaaaaaaaaaaaaa", false, 10, 16)));
        publish(Topics.STEP_METRICS, diverged, json.writeValueAsString(Fixtures.stageMetric(diverged, "q0", "bj", 1,
                6, Double.NaN, 50, 0, 100, 0, 100, 0, "bbbbbbbbbbbbbbbbbbbb", false, 10, 16)));
        assertThat(awaitState(diverged, "FAILED").path("reason").asString())
                .isEqualTo("replicas diverged at step 1 (plan v1), stage layers 0-0: p0=aaaaaaaaaaaa q0=bbbbbbbbbbbb");
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
    void aMalformedMetricIsDeadLetteredAndTheNextOneIsApplied() {
        UUID id = submitted("dlt-test");
        publish(Topics.PLANS, id, json.writeValueAsString(Fixtures.plan(id, Plan.EMULATED, 50.0)));
        try (KafkaConsumer<String, String> dlt = consumer(Topics.deadLetter(Topics.STEP_METRICS))) {
            publish(Topics.STEP_METRICS, id, "{\"jobId\":\"" + id + "\",\"step\":");
            publish(Topics.STEP_METRICS, id, json.writeValueAsString(
                    Fixtures.metric(id, "dev-a", 1, 6, 4.0, 100, 10, 200, 0, 200, 0, null, false)));
            awaitState(id, "RUNNING");
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, String> r : dlt.poll(Duration.ofMillis(200))) {
                    if (r.key().equals(id.toString())) {
                        return true;
                    }
                }
                return false;
            });
        }
    }

    // ------------------------------------------------------------------ tenants, cancel, idempotency, pages, events

    @Test
    void aUserSeesCancelsAndReadsOnlyItsOwnTenantsJobs() {
        UUID acme = submittedAs("acme", "user", Fixtures.spec("acme-job"), null);
        UUID globex = submittedAs("globex", "user", Fixtures.spec("globex-job"), null);
        publish(Topics.PLANS, globex, json.writeValueAsString(Fixtures.plan(globex, Plan.EMULATED, 50.0)));
        awaitState(globex, "SCHEDULED");
        assertThat(get("/api/v1/jobs/" + acme).path("tenant").asString()).isEqualTo("acme");

        MvcTestResult list = as(mvc.get().uri("/api/v1/jobs?limit=1000"), "acme", "user").exchange();
        assertThat(list).hasStatusOk();
        assertThat(top(body(list), "tenant")).containsOnly("acme");
        assertThat(top(body(list), "id")).contains(acme.toString()).doesNotContain(globex.toString());

        for (String path : List.of("", "/history", "/plan", "/metrics", "/report", "/events")) {
            assertProblem(as(mvc.get().uri("/api/v1/jobs/" + globex + path), "acme", "user").exchange(), 404);
        }
        assertProblem(as(mvc.post().uri("/api/v1/jobs/" + globex + "/cancel"), "acme", "user").exchange(), 404);
        assertThat(get("/api/v1/jobs/" + globex).path("state").asString()).isEqualTo("SCHEDULED");

        // the owner and an admin may
        assertThat(as(mvc.get().uri("/api/v1/jobs/" + globex + "/plan"), "globex", "user").exchange())
                .hasStatusOk();
        MvcTestResult all = as(mvc.get().uri("/api/v1/jobs?limit=1000"), "system", "admin").exchange();
        assertThat(top(body(all), "id")).contains(acme.toString(), globex.toString());

        // a user cannot put a job into another tenant, nor list another tenant's
        JobSpec foreign = Fixtures.spec("foreign").withTenant("globex");
        MvcTestResult refused = as(mvc.post().uri("/api/v1/jobs").contentType(MediaType.APPLICATION_JSON)
                .content(json.writeValueAsString(foreign)), "acme", "user").exchange();
        assertThat(assertProblem(refused, 422).path("field").asString()).isEqualTo("tenant");
        assertThat(assertProblem(as(mvc.get().uri("/api/v1/jobs?tenant=globex"), "acme", "user").exchange(), 400)
                .path("field").asString()).isEqualTo("tenant");
    }

    @Test
    void restCancelStopsAPendingJobAtOnceAndAPlannedOneThroughCancelling() {
        UUID pending = submittedAs("acme", "user", Fixtures.spec("cancel-pending"), null);
        MvcTestResult cancelled = as(mvc.post().uri("/api/v1/jobs/" + pending + "/cancel")
                .contentType(MediaType.APPLICATION_JSON).content("{\"reason\":\"wrong data\"}"), "acme", "user")
                .exchange();
        assertThat(cancelled).hasStatus(202);
        assertThat(body(cancelled).path("state").asString()).isEqualTo("CANCELLED");
        assertThat(body(cancelled).path("reason").asString()).isEqualTo("wrong data");
        assertThat(assertProblem(mvc.post().uri("/api/v1/jobs/" + pending + "/cancel").exchange(), 409)
                .path("field").asString()).isEqualTo("state");

        UUID planned = submitted("cancel-planned");
        publish(Topics.PLANS, planned, json.writeValueAsString(Fixtures.plan(planned, Plan.EMULATED, 50.0)));
        awaitState(planned, "SCHEDULED");
        MvcTestResult cancelling = mvc.post().uri("/api/v1/jobs/" + planned + "/cancel").exchange();
        assertThat(cancelling).hasStatus(202);
        assertThat(body(cancelling).path("state").asString()).isEqualTo("CANCELLING");
        // again: still cancelling, no second transition
        assertThat(mvc.post().uri("/api/v1/jobs/" + planned + "/cancel").exchange()).hasStatus(202);
        assertThat(awaitEvent(e -> e.jobId().equals(planned) && e.state() == JobState.CANCELLING)).isNotNull();
        // the workers stop and report their last step: the job is cancelled, not succeeded
        for (StepMetric m : Fixtures.threeSteps(planned)) {
            publish(Topics.STEP_METRICS, planned, json.writeValueAsString(m));
        }
        awaitState(planned, "CANCELLED");
        assertThat(get("/api/v1/jobs/" + planned + "/history").findValuesAsString("to"))
                .containsSubsequence("PENDING", "SCHEDULED", "CANCELLING", "CANCELLED")
                .containsOnlyOnce("CANCELLING");
    }

    @Test
    void anIdempotencyKeyMakesARetriedSubmitReturnTheFirstJob() {
        String key = "retry-" + UUID.randomUUID();
        MvcTestResult first = submitAs("acme", "user", Fixtures.spec("idem"), key);
        MvcTestResult again = submitAs("acme", "user", Fixtures.spec("idem"), key);
        assertThat(first).hasStatus(201).headers().hasValue("Idempotent-Replayed", "false");
        assertThat(again).hasStatus(201).headers().hasValue("Idempotent-Replayed", "true");
        String id = body(first).path("id").asString();
        assertThat(body(again).path("id").asString()).isEqualTo(id);
        assertThat(jdbc.sql("select count(*) from job_api.jobs where idempotency_key = :k").param("k", key)
                .query(Long.class).single()).isEqualTo(1);

        long before = rows();
        MvcTestResult changed = submitAs("acme", "user", Fixtures.spec("idem-other"), key);
        assertThat(assertProblem(changed, 422).path("field").asString()).isEqualTo("Idempotency-Key");
        assertThat(assertProblem(submitAs("acme", "user", Fixtures.spec("idem"), "has spaces"), 400)
                .path("field").asString()).isEqualTo("Idempotency-Key");
        assertThat(rows()).isEqualTo(before);

        // keys are per tenant
        MvcTestResult otherTenant = submitAs("globex", "user", Fixtures.spec("idem"), key);
        assertThat(otherTenant).hasStatus(201);
        assertThat(body(otherTenant).path("id").asString()).isNotEqualTo(id);
    }

    @Test
    void listsPageThroughJobsWithATotalAndANextLink() {
        String tenant = "pager-" + UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < 5; i++) {
            submittedAs(tenant, "user", Fixtures.spec("page-" + i), null);
        }
        MvcTestResult first = as(mvc.get().uri("/api/v1/jobs?limit=2"), tenant, "user").exchange();
        assertThat(first).hasStatusOk().headers().hasValue("X-Total-Count", "5")
                .hasValue("Link", "</api/v1/jobs?limit=2&offset=2>; rel=\"next\"");
        assertThat(top(body(first), "name")).containsExactly("page-4", "page-3");
        MvcTestResult last = as(mvc.get().uri("/api/v1/jobs?limit=2&offset=4"), tenant, "user").exchange();
        assertThat(top(body(last), "name")).containsExactly("page-0");
        assertThat(last).headers().doesNotContainHeader("Link");
        assertThat(assertProblem(mvc.get().uri("/api/v1/jobs?limit=0").exchange(), 400).path("field").asString())
                .isEqualTo("limit");
        assertThat(assertProblem(mvc.get().uri("/api/v1/jobs?offset=-1").exchange(), 400).path("field").asString())
                .isEqualTo("offset");
    }

    @Test
    void theEventStreamTellsEveryStateChangeAndEndsWithTheTerminalOne() throws Exception {
        UUID id = submitted("events-test");
        mvc.post().uri("/api/v1/jobs/" + id + "/cancel").exchange();
        MvcTestResult stream = mvc.get().uri("/api/v1/jobs/" + id + "/events").accept(MediaType.TEXT_EVENT_STREAM)
                .exchange(Duration.ofSeconds(20));
        assertThat(stream).hasStatusOk();
        String text = stream.getResponse().getContentAsString();
        assertThat(text).contains("event:state", "event:progress", "event:end");
        assertThat(text.indexOf("\"to\":\"PENDING\"")).isPositive()
                .isLessThan(text.indexOf("\"to\":\"CANCELLED\""));
        assertThat(text.substring(text.indexOf("event:end"))).contains("\"state\":\"CANCELLED\"");
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

    // ------------------------------------------------------------------ helpers

    private long rows() {
        return jdbc.sql("""
                select (select count(*) from job_api.jobs) + (select count(*) from job_api.job_history)
                     + (select count(*) from job_api.outbox)""").query(Long.class).single();
    }

    private MvcTestResult submit(JobSpec spec) {
        return post(json.writeValueAsString(spec));
    }

    private MvcTestResult post(String body) {
        return mvc.post().uri("/api/v1/jobs").contentType(MediaType.APPLICATION_JSON).content(body).exchange();
    }

    private static <T extends org.springframework.test.web.servlet.assertj.MockMvcTester.MockMvcRequestBuilder> T as(
            T request, String tenant, String role) {
        request.header("X-CrossTrain-Tenant", tenant).header("X-CrossTrain-Role", role);
        return request;
    }

    private MvcTestResult submitAs(String tenant, String role, JobSpec spec, String idempotencyKey) {
        var request = as(mvc.post().uri("/api/v1/jobs").contentType(MediaType.APPLICATION_JSON)
                .content(json.writeValueAsString(spec)), tenant, role);
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return request.exchange();
    }

    private UUID submittedAs(String tenant, String role, JobSpec spec, String idempotencyKey) {
        MvcTestResult created = submitAs(tenant, role, spec, idempotencyKey);
        assertThat(created).hasStatus(201);
        return UUID.fromString(body(created).path("id").asString());
    }

    /** A field of each element of a JSON array, not of anything nested in them. */
    private static List<String> top(JsonNode array, String field) {
        List<String> values = new java.util.ArrayList<>();
        for (JsonNode element : array) {
            values.add(element.path(field).asString());
        }
        return values;
    }

    private UUID submitted(String name) {
        MvcTestResult created = submit(Fixtures.spec(name));
        assertThat(created).hasStatus(201);
        return UUID.fromString(body(created).path("id").asString());
    }

    private JsonNode get(String uri) {
        MvcTestResult result = mvc.get().uri(uri).exchange();
        assertThat(result).hasStatusOk();
        return body(result);
    }

    private JsonNode awaitState(UUID id, String... acceptable) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            last[0] = get("/api/v1/jobs/" + id);
            assertThat(last[0].path("state").asString()).isIn((Object[]) acceptable);
        });
        return last[0];
    }

    private JsonNode assertProblem(MvcTestResult result, int status) {
        assertThat(result).hasStatus(status).hasContentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        JsonNode problem = body(result);
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        if (status == 400 && problem.has("field")) {
            assertThat(problem.path("errors").findValuesAsString("field")).contains(problem.path("field").asString());
        }
        return problem;
    }

    private JsonNode body(MvcTestResult result) {
        try {
            return json.readTree(result.getResponse().getContentAsString());
        } catch (UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private JobEvent awaitEvent(Predicate<JobEvent> wanted) {
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

    private String prometheus() {
        MvcTestResult r = mvc.get().uri("/actuator/prometheus").exchange();
        assertThat(r).hasStatusOk();
        try {
            return r.getResponse().getContentAsString();
        } catch (UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void publish(String topic, UUID key, String value) {
        try {
            producer.send(new ProducerRecord<>(topic, key.toString(), value)).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
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
