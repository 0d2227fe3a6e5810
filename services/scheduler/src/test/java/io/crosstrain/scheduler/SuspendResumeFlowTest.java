package io.crosstrain.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.CheckpointRef;
import io.crosstrain.contracts.CheckpointSpec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.DeviceEvent;
import io.crosstrain.contracts.Heartbeat;
import io.crosstrain.contracts.JobCommand;
import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Placement;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.ResumePoint;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.testsupport.RealInfra;

/**
 * Whole-job suspend and resume, end to end: job-api and the workers are played by records the test publishes. The
 * devices here (datacenter gz) are used by no other flow test, so the heartbeats sent for them orphan nothing else.
 */
class SuspendResumeFlowTest extends SchedulerFlowBase {

    static String device(String id, String status) {
        return """
                {"id":"%s","nodeId":"%s-node","datacenter":"gz","chip":"A100-80G","labels":{},"status":"%s",
                 "mode":"emulated","cpuFlopsPerSec":2.0e9,"hostCores":2}""".formatted(id, id, status);
    }

    static void devices(String... extra) {
        DEVICES.set("[" + BASE_DEVICES + (extra.length == 0 ? "" : "," + String.join(",", extra)) + "]");
    }

    @AfterEach
    void baseDevices() {
        devices();
    }

    @Test
    void aJobThatLosesEveryDeviceIsSuspendedNotFailedAndResumesFromItsCheckpointAfterJobApiConfirms()
            throws Exception {
        devices(device("res-0", "HEALTHY"));
        UUID job = running("res-0");
        Plan v1 = planVersion(job, 1);
        assertThat(v1.checkpoint()).isEqualTo(new CheckpointSpec(50, 3));
        String manifest = "checkpoints/" + job + "/step-40/manifest.json";
        checkpoint(job, new CheckpointRef(40, 1, manifest, 4096));

        devices(device("res-0", "DOWN"));
        sendTo(Topics.DEVICE_EVENTS, "res-0", json.writeValueAsString(new DeviceEvent(UUID.randomUUID(), "res-0",
                "res-0-node", "gz", "A100-80G", "HEALTHY", "DOWN", "no heartbeat for 61 s", Instant.now())));

        JobCommand suspend = awaitCommand(job, JobCommand.SUSPEND);
        assertThat(suspend.reason()).contains("lost every device [res-0]", "checkpoint step 40", manifest);

        // its device is free again, for any job: one submitted now takes it while job-api has not confirmed
        devices(device("res-0", "HEALTHY"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(get("/api/v1/queue").body())
                .contains(job.toString(), "waiting for job-api to confirm the suspension"));
        UUID other = running("res-0");
        state(job, JobState.SUSPENDED);
        await().atMost(WAIT).untilAsserted(() -> assertThat(get("/api/v1/queue").body())
                .contains(job.toString(), "held by job " + other));

        state(other, JobState.SUCCEEDED);
        Plan resumed = planVersion(job, 2);

        assertThat(resumed.resume()).isEqualTo(new ResumePoint(40, manifest));
        assertThat(resumed.startStep()).isEqualTo(41);
        assertThat(resumed.recovery()).isTrue();
        assertThat(resumed.reason()).isEqualTo("resume from checkpoint step 40");
        assertThat(resumed.checkpoint()).isEqualTo(v1.checkpoint());
        assertThat(resumed.timeScale()).isEqualTo(v1.timeScale());
        assertThat(resumed.devices()).extracting(PlanDevice::deviceId).containsExactly("res-0");
        assertThat(commands(job)).extracting(JobCommand::type).containsExactly(JobCommand.SUSPEND);
        assertThat(get("/api/v1/queue").body()).doesNotContain(job.toString());
    }

    @Test
    void aResumeRequestThatCannotBePlacedLeavesTheJobSuspendedWithTheReason() throws Exception {
        devices(device("res-1", "HEALTHY"));
        UUID job = running("res-1");
        devices(device("res-1", "DOWN"));
        sendTo(Topics.DEVICE_EVENTS, "res-1", json.writeValueAsString(new DeviceEvent(UUID.randomUUID(), "res-1",
                "res-1-node", "gz", "A100-80G", "HEALTHY", "DOWN", "no heartbeat for 61 s", Instant.now())));
        assertThat(awaitCommand(job, JobCommand.SUSPEND).reason()).contains("its initial weights");

        // job-api sends this only for a SUSPENDED job: it confirms the suspension as well
        send(job.toString(), json.writeValueAsString(new JobEvent(UUID.randomUUID(), job,
                JobEvent.RESUME_REQUESTED, JobState.SUSPENDED, null, "user", Instant.now())));
        await().atMost(WAIT).untilAsserted(() -> assertThat(get("/api/v1/queue").body())
                .contains(job.toString(), "cannot resume yet", "device res-1 is DOWN"));
        assertThat(commands(job)).extracting(JobCommand::type).containsExactly(JobCommand.SUSPEND);

        devices(device("res-1", "HEALTHY"));
        Plan resumed = planVersion(job, 2);
        assertThat(resumed.resume()).isEqualTo(ResumePoint.fromStart());
        assertThat(resumed.startStep()).isEqualTo(1);
        assertThat(resumed.reason()).isEqualTo("resume from checkpoint step 0 (initial weights)");
    }

    @Test
    void anOrphanedJobIsSuspendedAndResumedOnItsDevicesWhileAJobWhoseMetricsFlowIsLeftAlone() throws Exception {
        devices(device("res-2", "HEALTHY"), device("res-3", "HEALTHY"));
        UUID orphan = running("res-2");
        UUID alive = running("res-3");
        Instant aliveSince = Instant.now();
        checkpoint(orphan, new CheckpointRef(20, 1, "ckpt/20", 1));
        AtomicInteger step = new AtomicInteger();
        // the workers: both devices beat, and only the job on res-3 reports steps
        KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, RealInfra.kafkaBootstrap()), new StringSerializer(),
                new StringSerializer());
        ScheduledExecutorService workers = Executors.newSingleThreadScheduledExecutor();
        workers.scheduleAtFixedRate(() -> {
            for (String d : List.of("res-2", "res-3")) {
                producer.send(new ProducerRecord<>(Topics.DEVICE_HEARTBEATS, d, json.writeValueAsString(
                        new Heartbeat(d, d + "-node", "gz", "A100-80G", "emulated", 2e9, 2, Instant.now()))));
            }
            long t = System.currentTimeMillis();
            producer.send(new ProducerRecord<>(Topics.STEP_METRICS, alive.toString(), json.writeValueAsString(
                    new StepMetric(alive, 1, "res-3", "gz", "A100-80G", step.incrementAndGet(), 8, 2.0, 10, 10, 1,
                            12, t - 12, t, 0, 1000, null, "emulated", false, null))));
        }, 0, 300, TimeUnit.MILLISECONDS);
        try {
            assertThat(awaitCommand(orphan, JobCommand.SUSPEND).reason())
                    .contains("orphaned", "no step metric", "checkpoint step 20 (ckpt/20)");
            state(orphan, JobState.SUSPENDED);
            Plan resumed = planVersion(orphan, 2);
            assertThat(resumed.resume()).isEqualTo(new ResumePoint(20, "ckpt/20"));
            assertThat(resumed.startStep()).isEqualTo(21);
            assertThat(resumed.devices()).extracting(PlanDevice::deviceId).containsExactly("res-2");

            // twice the grace (3 s) of heartbeats and metrics: never taken for an orphan
            long left = Duration.ofSeconds(6).toMillis() - Duration.between(aliveSince, Instant.now()).toMillis();
            Thread.sleep(Math.max(0, left));
            assertThat(step.get()).isGreaterThan(10);
            assertThat(commands(alive)).isEmpty();
            assertThat(planVersions(alive)).containsExactly(1);
        } finally {
            workers.shutdownNow();
            workers.awaitTermination(5, TimeUnit.SECONDS);
            producer.close();
        }
    }

    @Test
    void aSuspendedJobTheFreeDevicesCannotHoldLeavesThemToOtherJobs() throws Exception {
        devices(device("res-4", "HEALTHY"), device("res-5", "HEALTHY"));
        // 256 samples at once need both devices at this memory scale; 8 fit on one
        UUID big = submit(null, 256, 5);
        state(big, JobState.RUNNING);
        assertThat(planVersion(big, 1).devices()).hasSize(2);
        devices(device("res-4", "DOWN"), device("res-5", "DOWN"));
        sendTo(Topics.DEVICE_EVENTS, "res-4", json.writeValueAsString(new DeviceEvent(UUID.randomUUID(), "res-4",
                "res-4-node", "gz", "A100-80G", "HEALTHY", "DOWN", "no heartbeat for 61 s", Instant.now())));
        awaitCommand(big, JobCommand.SUSPEND);
        state(big, JobState.SUSPENDED);

        devices(device("res-4", "HEALTHY"), device("res-5", "DOWN"));
        await().atMost(WAIT).untilAsserted(() -> assertThat(get("/api/v1/queue").body())
                .contains(big.toString(), "cannot resume yet: no feasible plan on the devices free now",
                        "less than the global batch of 256"));
        // the suspended job ranks first but cannot use res-4: a later, smaller job gets it
        UUID small = submit(null, 8, 0);
        assertThat(planVersion(small, 1).devices()).extracting(PlanDevice::deviceId).containsExactly("res-4");

        devices(device("res-4", "HEALTHY"), device("res-5", "HEALTHY"));
        state(small, JobState.SUCCEEDED);
        Plan resumed = planVersion(big, 2);
        assertThat(resumed.devices()).extracting(PlanDevice::deviceId).containsExactlyInAnyOrder("res-4", "res-5");
        assertThat(commands(big)).extracting(JobCommand::type).containsExactly(JobCommand.SUSPEND);
    }

    // ---- helpers ----

    /** A job placed anywhere in datacenter gz (or on the named device) at memory scale 0.001; returns once planned. */
    UUID submit(String deviceId, int globalBatch, int priority) throws Exception {
        UUID job = UUID.randomUUID();
        JobSpec spec = new JobSpec("resume", ModelSpec.demo(), DatasetSpec.bundled(), 100, globalBatch, 1e-3, 42L,
                "sync-dp", JobSpec.BALANCED, deviceId == null ? List.of() : List.of(deviceId), null, null, 0, null,
                priority, new Placement(List.of("gz"), null, null, null, null, null), null, null, 0.001);
        send(job.toString(), json.writeValueAsString(new JobEvent(UUID.randomUUID(), job, JobEvent.SUBMITTED,
                JobState.PENDING, spec, null, Instant.now())));
        awaitPlan(job);
        return job;
    }

    /** Submits a 100-step sync-DP job on {@code deviceId}, waits for its first plan and reports it RUNNING. */
    UUID running(String deviceId) throws Exception {
        UUID job = UUID.randomUUID();
        JobSpec spec = new JobSpec("resume", ModelSpec.demo(), DatasetSpec.bundled(), 100, 8, 1e-3, 42L, "sync-dp",
                JobSpec.BALANCED, List.of(deviceId), null, null, 0);
        send(job.toString(), json.writeValueAsString(new JobEvent(UUID.randomUUID(), job, JobEvent.SUBMITTED,
                JobState.PENDING, spec, null, Instant.now())));
        awaitPlan(job);
        state(job, JobState.RUNNING);
        await().atMost(WAIT).until(() -> "RUNNING".equals(jdbc.sql(
                "SELECT state FROM scheduler.job_states WHERE job_id = :j").param("j", job).query(String.class)
                .optional().orElse(null)));
        return job;
    }

    void state(UUID job, JobState state) throws Exception {
        send(job.toString(), json.writeValueAsString(new JobEvent(UUID.randomUUID(), job, JobEvent.STATE_CHANGED,
                state, null, null, Instant.now())));
    }

    /** job-api announces a complete checkpoint; returns once the scheduler holds it. */
    void checkpoint(UUID job, CheckpointRef ref) throws Exception {
        send(job.toString(), json.writeValueAsString(new JobEvent(UUID.randomUUID(), job, JobEvent.CHECKPOINTED,
                null, null, null, Instant.now(), ref)));
        await().atMost(WAIT).until(() -> jdbc.sql("SELECT step FROM scheduler.checkpoints WHERE job_id = :j")
                .param("j", job).query(Long.class).optional().orElse(-1L) == ref.step());
    }

    List<JobCommand> commands(UUID job) {
        List<JobCommand> out = new ArrayList<>();
        records(Topics.JOB_COMMANDS, job).forEach(r -> out.add(json.readValue(r.value(), JobCommand.class)));
        return out;
    }

    JobCommand awaitCommand(UUID job, String type) {
        List<JobCommand> found = new ArrayList<>();
        await().atMost(WAIT).untilAsserted(() -> {
            found.clear();
            commands(job).stream().filter(c -> type.equals(c.type())).forEach(found::add);
            assertThat(found).isNotEmpty();
        });
        return found.get(0);
    }

    List<Integer> planVersions(UUID job) {
        return records(Topics.PLANS, job).stream().map(r -> json.readValue(r.value(), Plan.class).planVersion())
                .toList();
    }

    Plan planVersion(UUID job, int version) {
        List<Plan> found = new ArrayList<>();
        await().atMost(WAIT).untilAsserted(() -> {
            found.clear();
            records(Topics.PLANS, job).stream().map(r -> json.readValue(r.value(), Plan.class))
                    .filter(p -> p.planVersion() == version).forEach(found::add);
            assertThat(found).isNotEmpty();
        });
        return found.get(0);
    }
}
