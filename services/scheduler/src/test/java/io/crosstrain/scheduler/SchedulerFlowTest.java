package io.crosstrain.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.JobCommand;
import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.Topics;

/** Queue, admission, publication and dead letters of the scheduler, end to end ({@link SchedulerFlowBase}). */
class SchedulerFlowTest extends SchedulerFlowBase {

    @Test
    void aJobWaitsInTheQueueWhileAnotherHoldsItsDevicesAndStartsWhenThatOneFinishes() throws Exception {
        UUID first = UUID.randomUUID();
        send(submitted(first, List.of("bj-0", "sh-0"), 8));
        awaitPlan(first);
        UUID second = UUID.randomUUID();
        send(submitted(second, List.of("sh-0", "gy-0"), 8));

        await().atMost(WAIT).untilAsserted(() -> {
            HttpResponse<String> queue = get("/api/v1/queue");
            assertThat(queue.statusCode()).isEqualTo(200);
            assertThat(queue.body()).contains(second.toString()).contains("busy").contains(first.toString());
        });
        assertThat(records(Topics.PLANS, second)).isEmpty();

        send(first.toString(), json.writeValueAsString(new JobEvent(UUID.randomUUID(), first,
                JobEvent.STATE_CHANGED, JobState.SUCCEEDED, null, "done", Instant.now())));
        Plan plan = awaitPlan(second);
        assertThat(plan.devices()).extracting(PlanDevice::deviceId).containsExactlyInAnyOrder("sh-0", "gy-0");
        assertThat(get("/api/v1/queue").body()).doesNotContain(second.toString());
    }

    @Test
    void aSubmittedJobGetsAPlanThatIsStoredPublishedAndServed() throws Exception {
        UUID jobId = UUID.randomUUID();
        send(submitted(jobId, List.of("bj-0", "sh-0", "gy-0"), 32));

        Plan plan = awaitPlan(jobId);

        assertThat(plan.planVersion()).isEqualTo(1);
        assertThat(plan.globalBatch()).isEqualTo(32);
        assertThat(plan.devices().stream().mapToInt(PlanDevice::batch).sum()).isEqualTo(32);
        assertThat(plan.datacenters()).containsExactly("bj", "gy", "sh");
        assertThat(plan.devices()).extracting(PlanDevice::deviceId).containsExactlyInAnyOrder("bj-0", "sh-0", "gy-0");
        assertThat(plan.timeScale()).isPositive();
        assertThat(plan.devices()).allSatisfy(d -> assertThat(d.pacedStepSeconds()).isPositive());
        assertThat(plan.mode()).isEqualTo(Plan.EMULATED);
        assertThat(plan.model()).isEqualTo(ModelSpec.demo());
        assertThat(plan.hashEvery()).isEqualTo(10);
        // the bundled corpus has 66 characters: the plan knows that without reading it
        assertThat(plan.predicted().wanBytesPerStep()).isEqualTo(6L * ModelSpec.demo().parameters(66) * 4);

        await().atMost(WAIT).untilAsserted(() -> assertThat(jdbc.sql(
                        "SELECT published FROM scheduler.plans WHERE job_id = :j").param("j", jobId)
                .query(Boolean.class).single()).isTrue());

        HttpResponse<String> ok = get("/api/v1/plans/" + jobId);
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(json.readValue(ok.body(), Plan.class)).isEqualTo(plan);
    }

    @Test
    void aTenantSeesItsOwnPlansAndQueueEntriesOnlyAndAnAdminSeesAll() throws Exception {
        UUID acme = UUID.randomUUID();
        send(submitted(acme, List.of("bj-0", "sh-0"), 8, "acme"));
        awaitPlan(acme);
        UUID waiting = UUID.randomUUID();
        send(submitted(waiting, List.of("sh-0"), 8, "acme"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(get("/api/v1/queue").body()).contains(waiting.toString()));

        assertThat(getAs("/api/v1/plans/" + acme, "acme", "user").statusCode()).isEqualTo(200);
        // another tenant's plan (its dataset, its devices) is not there for this caller, exactly as a missing one
        HttpResponse<String> other = getAs("/api/v1/plans/" + acme, "globex", "user");
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(other.body()).doesNotContain("bj-0");
        assertThat(getAs("/api/v1/plans/" + acme, "globex", "admin").statusCode()).isEqualTo(200);

        assertThat(getAs("/api/v1/queue", "acme", "user").body()).contains(waiting.toString());
        assertThat(getAs("/api/v1/queue", "globex", "user").body()).doesNotContain(waiting.toString());
        assertThat(getAs("/api/v1/queue", "globex", "admin").body()).contains(waiting.toString());

        send(acme.toString(), json.writeValueAsString(new JobEvent(UUID.randomUUID(), acme,
                JobEvent.STATE_CHANGED, JobState.SUCCEEDED, null, "done", Instant.now())));
        awaitPlan(waiting);
        send(waiting.toString(), json.writeValueAsString(new JobEvent(UUID.randomUUID(), waiting,
                JobEvent.STATE_CHANGED, JobState.SUCCEEDED, null, "done", Instant.now())));
    }

    @Test
    void prometheusShowsTheQueueDepth() throws Exception {
        HttpResponse<String> scrape = get("/actuator/prometheus");
        assertThat(scrape.statusCode()).isEqualTo(200);
        // the figure itself depends on the other tests' jobs: the series must be there, read from the queue table
        assertThat(scrape.body()).contains("# TYPE crosstrain_scheduler_queue_depth gauge",
                "crosstrain_scheduler_queue_depth{application=\"scheduler\"} ");
    }

    @Test
    void theSameEventTwiceYieldsOnePlan() throws Exception {
        UUID jobId = UUID.randomUUID();
        String event = submitted(jobId, List.of("bj-0", "sh-0"), 16);

        send(event);
        RecordMetadata second = send(event);
        awaitPlan(jobId);
        awaitConsumed(second);

        assertThat(records(Topics.PLANS, jobId)).hasSize(1);
        assertThat(jdbc.sql("SELECT count(*) FROM scheduler.plans WHERE job_id = :j").param("j", jobId)
                .query(Long.class).single()).isEqualTo(1L);
    }

    @Test
    void aJobOnAnUnknownChipIsFailedWithTheReason() throws Exception {
        UUID jobId = UUID.randomUUID();
        send(submitted(jobId, List.of("tpu-0"), 8));

        JobCommand command = awaitFailure(jobId);

        assertThat(command.type()).isEqualTo(JobCommand.FAIL);
        assertThat(command.spec()).isNull();
        assertThat(command.reason()).contains("tpu-0", "TPU-v9");
        assertThat(records(Topics.PLANS, jobId)).isEmpty();
        assertThat(get("/api/v1/plans/" + jobId).statusCode()).isEqualTo(404);
    }

    @Test
    void aJobWhoseDevicesNeverBecomeReadyIsFailedAfterTheWait() throws Exception {
        UUID jobId = UUID.randomUUID();
        send(submitted(jobId, List.of("bj-0", "sh-1", "ghost-7"), 8));

        JobCommand command = awaitFailure(jobId);

        assertThat(command.reason())
                .startsWith("devices not ready after 3 s")
                .contains("device sh-1 is STALE, not HEALTHY", "device ghost-7 is not registered")
                .doesNotContain("bj-0");
    }

    @Test
    void aJobWaitsForADeviceThatIsStillCalibrating() throws Exception {
        String late = """
                {"id":"late-0","nodeId":"late-node","datacenter":"wh","chip":"L20","status":"HEALTHY",
                 "mode":"emulated","cpuFlopsPerSec":%s,"hostCores":2}""";
        DEVICES.set("[" + BASE_DEVICES + "," + late.formatted("0") + "]");
        UUID jobId = UUID.randomUUID();
        int before = INVENTORY_CALLS.get();
        send(submitted(jobId, List.of("late-0", "bj-0"), 8));
        // the scheduler has looked twice and found late-0 still calibrating: it must not have planned yet
        await().atMost(WAIT).until(() -> INVENTORY_CALLS.get() >= before + 2);
        assertThat(records(Topics.PLANS, jobId)).isEmpty();
        DEVICES.set("[" + BASE_DEVICES + "," + late.formatted("1.0e9") + "]");

        Plan plan = awaitPlan(jobId);

        assertThat(plan.datacenters()).containsExactly("bj", "wh");
        assertThat(plan.devices().stream().mapToInt(PlanDevice::batch).sum()).isEqualTo(8);
    }

    @Test
    void malformedEventsGoToTheDeadLetterTopicAndTheConsumerCarriesOn() throws Exception {
        UUID jobId = UUID.randomUUID();
        send(jobId.toString(), "{ this is not json");
        send(jobId.toString(), json.writeValueAsString(
                new JobEvent(UUID.randomUUID(), jobId, JobEvent.SUBMITTED, JobState.PENDING, null, null, Instant.now())));
        send(submitted(jobId, List.of("bj-0"), 4));

        await().atMost(WAIT).untilAsserted(() -> assertThat(records(Topics.deadLetter(Topics.JOB_EVENTS), jobId))
                .extracting(ConsumerRecord::value)
                .hasSize(2)
                .first().isEqualTo("{ this is not json"));
        assertThat(awaitPlan(jobId).devices()).hasSize(1);
    }

    @Test
    void decisionsCommittedButNeverPublishedAreRepublished() {
        UUID planned = UUID.randomUUID();
        UUID failed = UUID.randomUUID();
        Plan plan = new Plan(planned, 1, "diloco", JobSpec.BALANCED, Plan.EMULATED, 0.5, ModelSpec.demo(),
                DatasetSpec.bundled(), 3, 2, 1e-3, 1L, 10, List.of("bj"),
                List.of(new PlanDevice("bj-0", "bj-node-0", "bj", "A100-80G", 0, 2, 1, 100.0, 0.04)),
                new Plan.Prediction(0.04, 1.0, 1.0, 0L));
        // as if the scheduler had crashed between the commit and the send
        jdbc.sql("""
                        INSERT INTO scheduler.plans (job_id, plan_version, plan, created_at)
                        VALUES (:j, 1, CAST(:p AS jsonb), now() - interval '1 hour')""")
                .param("j", planned).param("p", json.writeValueAsString(plan)).update();
        jdbc.sql("""
                        INSERT INTO scheduler.job_failures (job_id, reason, created_at)
                        VALUES (:j, 'no feasible plan: test', now() - interval '1 hour')""")
                .param("j", failed).update();

        assertThat(awaitPlan(planned)).isEqualTo(plan);
        assertThat(awaitFailure(failed).reason()).isEqualTo("no feasible plan: test");
        await().atMost(WAIT).untilAsserted(() -> assertThat(jdbc.sql("""
                        SELECT count(*) FROM scheduler.plans p, scheduler.job_failures f
                        WHERE p.job_id = :p AND f.job_id = :f AND p.published AND f.published""")
                .param("p", planned).param("f", failed).query(Long.class).single()).isEqualTo(1L));
    }

    @Test
    void missingOrMalformedJobIdsAnswerWithProblemDetails() throws Exception {
        HttpResponse<String> missing = get("/api/v1/plans/" + UUID.randomUUID());
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.headers().firstValue("Content-Type")).hasValueSatisfying(
                ct -> assertThat(ct).startsWith("application/problem+json"));
        assertThat(missing.body()).contains("\"field\":\"jobId\"");

        HttpResponse<String> malformed = get("/api/v1/plans/not-a-uuid");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.body()).contains("\"field\":\"jobId\"", "not a UUID");
    }
}
