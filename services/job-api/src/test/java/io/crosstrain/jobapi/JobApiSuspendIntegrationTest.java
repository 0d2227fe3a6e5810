package io.crosstrain.jobapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

import io.crosstrain.checkpoint.CheckpointKeys;
import io.crosstrain.contracts.JobCommand;
import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.ResumePoint;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.jobapi.domain.Fixtures;
import io.crosstrain.testsupport.TestCallers;
import tools.jackson.databind.JsonNode;

/** A job whose devices were all lost: SUSPENDED, resumed on request by a plan from a checkpoint, or cancelled. */
class JobApiSuspendIntegrationTest extends JobApiIntegrationTestBase {

    @Test
    void aSuspendedJobCanBeAskedToResumeOrBeCancelledAtOnce() {
        UUID id = running("suspend-test");
        MvcTestResult notSuspended = mvc.post().uri("/api/v1/jobs/" + id + "/resume").exchange();
        assertThat(assertProblem(notSuspended, 409).path("field").asString()).isEqualTo("state");

        suspend(id, "all 2 devices lost; resumes from the checkpoint of step 1");
        JsonNode job = awaitState(id, "SUSPENDED");
        assertThat(job.path("reason").asString()).isEqualTo("all 2 devices lost; resumes from the checkpoint of step 1");
        awaitEvent(e -> e.jobId().equals(id) && e.state() == JobState.SUSPENDED);

        MvcTestResult resumed = mvc.post().uri("/api/v1/jobs/" + id + "/resume").exchange();
        assertThat(resumed).hasStatus(202);
        assertThat(body(resumed).path("state").asString()).isEqualTo("SUSPENDED");
        JobEvent requested = awaitEvent(e -> e.jobId().equals(id) && JobEvent.RESUME_REQUESTED.equals(e.type()));
        assertThat(requested.state()).isEqualTo(JobState.SUSPENDED);
        assertProblem(as(mvc.post().uri("/api/v1/jobs/" + id + "/resume"), "acme", "user").exchange(), 404);

        // nothing runs a suspended job: cancel ends it without waiting for workers
        MvcTestResult cancelled = mvc.post().uri("/api/v1/jobs/" + id + "/cancel").exchange();
        assertThat(cancelled).hasStatus(202);
        assertThat(body(cancelled).path("state").asString()).isEqualTo("CANCELLED");
        assertThat(get("/api/v1/jobs/" + id + "/history").findValuesAsString("to"))
                .containsSubsequence("RUNNING", "SUSPENDED", "CANCELLED").doesNotContain("CANCELLING");
        assertProblem(mvc.post().uri("/api/v1/jobs/" + id + "/resume").exchange(), 409);
    }

    @Test
    void suspendIsIgnoredForAJobThatIsNotPlannedOrRunning() {
        UUID pending = submitted("suspend-pending-test");
        suspend(pending, "lost");
        // a second job's command behind it on the same topic shows the first was processed
        UUID marker = running("suspend-marker-test");
        command(new JobCommand(JobCommand.SUSPEND, marker, null, "lost"), TestCallers.scheduler());
        awaitState(marker, "SUSPENDED");
        assertThat(get("/api/v1/jobs/" + pending).path("state").asString()).isEqualTo("PENDING");
    }

    @Test
    void aResumePlanRedoesTheStepsAfterTheCheckpointAndTheReportCountsThemOnce() {
        UUID id = submitted("resume-test");
        Plan v1 = Fixtures.plan(id, Plan.EMULATED, 50.0);
        publish(Topics.PLANS, id, json.writeValueAsString(v1));
        List<StepMetric> steps = Fixtures.threeSteps(id);
        // v1 ran steps 1 and 2, with a loss at step 2 that the redo replaces
        for (StepMetric m : steps.subList(0, 4)) {
            StepMetric lost = m.step() == 2 ? worse(m) : m;
            publish(Topics.STEP_METRICS, id, json.writeValueAsString(lost));
        }
        awaitState(id, "RUNNING");
        awaitStep(id, 2);
        suspend(id, "all devices lost");
        awaitState(id, "SUSPENDED");

        // v2 resumes from the checkpoint of step 1 and redoes step 2
        Plan v2 = v1.next(v1.datacenters(), v1.devices(), v1.predicted(), 0, "resume", true)
                .withResume(new ResumePoint(1, CheckpointKeys.manifest(id, 1)));
        assertThat(v2.startStep()).isEqualTo(2);
        publish(Topics.PLANS, id, json.writeValueAsString(v2));
        JsonNode recovering = awaitState(id, "RECOVERING");
        assertThat(recovering.path("reason").asString()).contains("resumes from the checkpoint of step 1");
        assertThat(recovering.path("step").asInt()).isEqualTo(1); // step 2 is done again
        for (StepMetric m : steps.subList(2, 6)) {
            publish(Topics.STEP_METRICS, id, json.writeValueAsString(Fixtures.inVersion(m, 2)));
        }
        JsonNode done = awaitState(id, "SUCCEEDED");
        assertThat(done.path("step").asInt()).isEqualTo(3);
        assertThat(get("/api/v1/jobs/" + id + "/history").findValuesAsString("to"))
                .containsSubsequence("RUNNING", "SUSPENDED", "RECOVERING", "RUNNING", "SUCCEEDED");

        JsonNode report = get("/api/v1/jobs/" + id + "/report");
        assertThat(report.path("steps").asInt()).isEqualTo(3);
        assertThat(report.path("samples").asLong()).isEqualTo(24); // not 32: step 2 counted once
        assertThat(report.path("loss").path("curve").findValuesAsString("step")).containsExactly("1", "2", "3");
        // step 2's loss is the redo's (batch-weighted 3.0·6 + 1.0·2 over 8), not v1's
        assertThat(report.path("loss").path("curve").get(1).path("loss").asDouble()).isEqualTo(2.5);
        // compared: step 1 under v1, step 3 under v2; v1's hash of the redone step 2 is not counted
        assertThat(report.path("replicas").path("checkedSteps").asInt()).isEqualTo(2);
        // the window (steps 2 and 3, 200 ms) holds each step's 8 samples once
        assertThat(report.path("efficiency").path("achievedSamplesPerSec").asDouble()).isEqualTo(80.0);
    }

    @Test
    void aJobSuspendedWhileItsDevicesFinishTheLastStepSucceeds() {
        UUID id = submitted("suspend-at-the-end-test");
        Plan v1 = Fixtures.plan(id, Plan.EMULATED, 50.0);
        publish(Topics.PLANS, id, json.writeValueAsString(v1));
        List<StepMetric> steps = Fixtures.threeSteps(id);
        for (StepMetric m : steps.subList(0, 4)) {
            publish(Topics.STEP_METRICS, id, json.writeValueAsString(m));
        }
        awaitStep(id, 2);
        // the loss of every device is noticed late (a restarted inventory, a slow sweep) ...
        suspend(id, "lost every device");
        awaitState(id, "SUSPENDED");
        // ... while they finish the last step: the work is done, and a resume would have nothing to do
        for (StepMetric m : steps.subList(4, 6)) {
            publish(Topics.STEP_METRICS, id, json.writeValueAsString(m));
        }
        JsonNode done = awaitState(id, "SUCCEEDED");
        assertThat(done.path("step").asInt()).isEqualTo(3);
        assertThat(get("/api/v1/jobs/" + id + "/report").path("samples").asLong()).isEqualTo(24);
    }

    private UUID running(String name) {
        UUID id = submitted(name);
        publish(Topics.PLANS, id, json.writeValueAsString(Fixtures.plan(id, Plan.EMULATED, 50.0)));
        publish(Topics.STEP_METRICS, id, json.writeValueAsString(
                Fixtures.metric(id, "dev-a", 1, 6, 4.0, 100, 10, 200, 0, 200, 0, null, false)));
        awaitState(id, "RUNNING");
        return id;
    }

    private void suspend(UUID id, String reason) {
        command(new JobCommand(JobCommand.SUSPEND, id, null, reason), TestCallers.scheduler());
    }

    private void awaitStep(UUID id, int step) {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(get("/api/v1/jobs/" + id).path("step").asInt()).isEqualTo(step));
    }

    /** The same metric with a much higher loss and a hash, as the lost run reported it. */
    private static StepMetric worse(StepMetric m) {
        return new StepMetric(m.jobId(), m.planVersion(), m.deviceId(), m.datacenter(), m.chip(), m.step(),
                m.batch(), 9.0, m.computeMs(), m.busyMs(), m.commMs(), m.stepMs(), m.startedAtMs(), m.endedAtMs(),
                m.wanBytes(), m.parameters(), "lost-" + m.step(), m.mode(), m.last(), null);
    }
}
