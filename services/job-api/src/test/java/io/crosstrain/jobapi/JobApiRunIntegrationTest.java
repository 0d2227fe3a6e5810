package io.crosstrain.jobapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
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
import io.crosstrain.testsupport.TestCallers;
import tools.jackson.databind.JsonNode;

/** A job's run as plans, step metrics and commands arrive over Kafka: its states, its report, the replica checks. */
class JobApiRunIntegrationTest extends JobApiIntegrationTestBase {

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
        command(new JobCommand(JobCommand.FAIL, unplaceable, null, "not enough memory on any device"),
                TestCallers.scheduler());
        assertThat(awaitState(unplaceable, "FAILED").path("reason").asString())
                .isEqualTo("not enough memory on any device");

        UUID cancelled = submitted("cancel-test");
        command(new JobCommand(JobCommand.CANCEL, cancelled, null, null), TestCallers.admin());
        awaitState(cancelled, "CANCELLED");

        UUID viaKafka = UUID.randomUUID();
        command(new JobCommand(JobCommand.SUBMIT, viaKafka, Fixtures.spec("kafka-submit"), null), TestCallers.admin());
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
}
