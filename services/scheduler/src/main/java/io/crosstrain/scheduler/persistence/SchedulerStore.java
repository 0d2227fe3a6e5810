package io.crosstrain.scheduler.persistence;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.Plan;
import tools.jackson.databind.json.JsonMapper;

/**
 * The scheduler's tables (schema {@code scheduler}). Recording a decision and marking its event as processed happen
 * in one transaction, so a redelivered event is recognised and a decision is never lost between the database and
 * Kafka: rows stay {@code published = false} until the broker has acknowledged them.
 */
@Repository
public class SchedulerStore {

    /** A job job-api ended (e.g. cancelled while it waited) is not started or resumed any more. */
    private static final String NOT_ENDED = "NOT EXISTS (SELECT 1 FROM scheduler.job_states s WHERE s.job_id = q.job_id"
            + " AND s.state IN ('SUCCEEDED', 'FAILED', 'CANCELLED'))";

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public SchedulerStore(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** A job whose plan failed to publish: the row to send again. */
    public record PendingFailure(UUID jobId, String reason) {
    }

    public boolean isProcessed(UUID eventId) {
        return jdbc.sql("SELECT count(*) FROM scheduler.processed_events WHERE event_id = :id")
                .param("id", eventId).query(Long.class).single() > 0;
    }

    /** Whether the job already has a plan or a failure, e.g. from an earlier SUBMITTED event with another id. */
    public boolean hasDecision(UUID jobId) {
        return jdbc.sql("""
                        SELECT (SELECT count(*) FROM scheduler.plans WHERE job_id = :job)
                             + (SELECT count(*) FROM scheduler.job_failures WHERE job_id = :job)""")
                .param("job", jobId).query(Long.class).single() > 0;
    }

    /** Records an event that needs no new decision. */
    @Transactional
    public void markProcessed(UUID eventId, UUID jobId) {
        insertProcessed(eventId, jobId);
    }

    /**
     * Stores the plan and marks the event processed, atomically.
     *
     * @return false when the event was already processed or the job already has this plan version: nothing to publish
     */
    @Transactional
    public boolean recordPlan(UUID eventId, Plan plan) {
        if (!insertProcessed(eventId, plan.jobId())) {
            return false;
        }
        int rows = jdbc.sql("""
                        INSERT INTO scheduler.plans (job_id, plan_version, plan)
                        VALUES (:job, :version, CAST(:plan AS jsonb))
                        ON CONFLICT (job_id, plan_version) DO NOTHING""")
                .param("job", plan.jobId())
                .param("version", plan.planVersion())
                .param("plan", json.writeValueAsString(plan))
                .update();
        return rows == 1;
    }

    /** Stores why a job cannot be placed and marks the event processed, atomically; false if nothing is new. */
    @Transactional
    public boolean recordFailure(UUID eventId, UUID jobId, String reason) {
        if (!insertProcessed(eventId, jobId)) {
            return false;
        }
        int rows = jdbc.sql("""
                        INSERT INTO scheduler.job_failures (job_id, reason) VALUES (:job, :reason)
                        ON CONFLICT (job_id) DO NOTHING""")
                .param("job", jobId)
                .param("reason", reason)
                .update();
        return rows == 1;
    }

    /**
     * Stores a later version of a job's plan (a re-plan); false when that version exists already, e.g. another
     * trigger re-planned first.
     */
    @Transactional
    public boolean recordNextPlan(Plan plan) {
        return jdbc.sql("""
                        INSERT INTO scheduler.plans (job_id, plan_version, plan)
                        VALUES (:job, :version, CAST(:plan AS jsonb))
                        ON CONFLICT (job_id, plan_version) DO NOTHING""")
                .param("job", plan.jobId())
                .param("version", plan.planVersion())
                .param("plan", json.writeValueAsString(plan))
                .update() == 1;
    }

    /** A queued job and why it still waits. */
    public record QueueEntry(UUID jobId, String tenant, int priority, Instant submittedAt, JobSpec spec,
                             String status, String reason) {
    }

    /** Puts a submitted job in the queue and marks the event processed, atomically; false if nothing is new. */
    @Transactional
    public boolean enqueue(UUID eventId, UUID jobId, JobSpec spec, Instant at) {
        if (!insertProcessed(eventId, jobId)) {
            return false;
        }
        return jdbc.sql("""
                        INSERT INTO scheduler.queue (job_id, tenant, priority, submitted_at, spec)
                        VALUES (:job, :tenant, :priority, :at, CAST(:spec AS jsonb))
                        ON CONFLICT (job_id) DO NOTHING""")
                .param("job", jobId).param("tenant", spec.tenantOrDefault()).param("priority", spec.priorityOrDefault())
                .param("at", java.sql.Timestamp.from(at)).param("spec", json.writeValueAsString(spec))
                .update() == 1;
    }

    /** The spec a queued (or since admitted) job was submitted with. */
    public Optional<JobSpec> spec(UUID jobId) {
        return jdbc.sql("SELECT spec::text FROM scheduler.queue WHERE job_id = :job").param("job", jobId)
                .query(String.class).optional().map(t -> json.readValue(t, JobSpec.class));
    }

    public boolean isQueued(UUID jobId) {
        return jdbc.sql("SELECT count(*) FROM scheduler.queue WHERE job_id = :job").param("job", jobId)
                .query(Long.class).single() > 0;
    }

    /** How many jobs are still waiting (the queue-depth gauge reads it at every scrape). */
    public long queuedCount() {
        return jdbc.sql("SELECT count(*) FROM scheduler.queue q WHERE status = 'QUEUED' AND " + NOT_ENDED)
                .query(Long.class).single();
    }

    /** Jobs still waiting (queued or suspended, not ended meanwhile), highest priority first, then oldest. */
    public List<QueueEntry> waiting() {
        return jdbc.sql("""
                        SELECT job_id, tenant, priority, submitted_at, spec::text AS spec, status, reason
                        FROM scheduler.queue q WHERE status = 'QUEUED' AND %s
                        ORDER BY priority DESC, submitted_at, job_id""".formatted(NOT_ENDED))
                .query((rs, n) -> new QueueEntry(rs.getObject("job_id", UUID.class), rs.getString("tenant"),
                        rs.getInt("priority"), rs.getTimestamp("submitted_at").toInstant(),
                        json.readValue(rs.getString("spec"), JobSpec.class), rs.getString("status"),
                        rs.getString("reason")))
                .list();
    }

    public void noteWaiting(UUID jobId, String reason) {
        jdbc.sql("""
                        UPDATE scheduler.queue SET reason = :reason, updated_at = now()
                        WHERE job_id = :job AND status = 'QUEUED' AND reason IS DISTINCT FROM :reason""")
                .param("job", jobId).param("reason", reason).update();
    }

    /**
     * Stores the plan of a queued job (its first, or the one resuming it) and takes it out of the queue, atomically;
     * false if it left already.
     */
    @Transactional
    public boolean admit(Plan plan) {
        int moved = jdbc.sql("""
                        UPDATE scheduler.queue SET status = 'ADMITTED', reason = NULL, updated_at = now()
                        WHERE job_id = :job AND status = 'QUEUED'""")
                .param("job", plan.jobId()).update();
        if (moved != 1) {
            return false;
        }
        if (!recordNextPlan(plan)) {
            // that version exists already: the job must not leave the queue without its plan
            org.springframework.transaction.interceptor.TransactionAspectSupport.currentTransactionStatus()
                    .setRollbackOnly();
            return false;
        }
        return true;
    }

    /** Gives up on a queued job: records the failure to publish and takes it out of the queue, atomically. */
    @Transactional
    public boolean reject(UUID jobId, String reason) {
        int moved = jdbc.sql("""
                        UPDATE scheduler.queue SET status = 'REJECTED', reason = :reason, updated_at = now()
                        WHERE job_id = :job AND status = 'QUEUED'""")
                .param("job", jobId).param("reason", reason).update();
        if (moved != 1) {
            return false;
        }
        return jdbc.sql("""
                        INSERT INTO scheduler.job_failures (job_id, reason) VALUES (:job, :reason)
                        ON CONFLICT (job_id) DO NOTHING""")
                .param("job", jobId).param("reason", reason).update() == 1;
    }

    /** The tenant of every job that was queued (jobs planned before the queue existed have none). */
    public java.util.Map<UUID, String> tenants(java.util.Collection<UUID> jobIds) {
        java.util.Map<UUID, String> out = new java.util.HashMap<>();
        if (jobIds.isEmpty()) {
            return out;
        }
        jdbc.sql("SELECT job_id, tenant FROM scheduler.queue WHERE job_id IN (:jobs)")
                .param("jobs", List.copyOf(jobIds))
                .query((rs, n) -> out.put(rs.getObject("job_id", UUID.class), rs.getString("tenant")))
                .list();
        return out;
    }

    /** Remembers a job's lifecycle state as job-api announced it. */
    public void recordJobState(UUID jobId, String state) {
        jdbc.sql("""
                        INSERT INTO scheduler.job_states (job_id, state) VALUES (:job, :state)
                        ON CONFLICT (job_id) DO UPDATE SET state = excluded.state, updated_at = now()""")
                .param("job", jobId).param("state", state).update();
    }

    /** The lifecycle state job-api last announced for the job, if any. */
    public Optional<String> jobState(UUID jobId) {
        return jdbc.sql("SELECT state FROM scheduler.job_states WHERE job_id = :job").param("job", jobId)
                .query(String.class).optional();
    }

    /** Latest plans of the jobs that have a plan, have not reached a terminal state and are not suspended. */
    public List<Plan> activePlans() {
        return jdbc.sql("""
                        SELECT plan FROM (
                            SELECT DISTINCT ON (p.job_id) p.job_id, p.plan_version, p.plan::text AS plan
                            FROM scheduler.plans p
                            LEFT JOIN scheduler.job_states s ON s.job_id = p.job_id
                            WHERE s.state IS NULL OR s.state NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED')
                            ORDER BY p.job_id, p.plan_version DESC) newest
                        WHERE NOT EXISTS (SELECT 1 FROM scheduler.suspensions x
                                          WHERE x.job_id = newest.job_id AND x.plan_version = newest.plan_version)""")
                .query(String.class)
                .list().stream().map(this::readPlanOrNull).filter(java.util.Objects::nonNull).toList();
    }

    /** A stored plan this version cannot read must not stop the scheduler from looking at the others. */
    private Plan readPlanOrNull(String text) {
        try {
            return readPlan(text);
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(SchedulerStore.class).warn("skipping an unreadable stored plan: {}",
                    e.getMessage());
            return null;
        }
    }

    public void markPlanPublished(UUID jobId, int planVersion) {
        jdbc.sql("""
                        UPDATE scheduler.plans SET published = true, published_at = now()
                        WHERE job_id = :job AND plan_version = :version""")
                .param("job", jobId).param("version", planVersion).update();
    }

    public void markFailurePublished(UUID jobId) {
        jdbc.sql("UPDATE scheduler.job_failures SET published = true, published_at = now() WHERE job_id = :job")
                .param("job", jobId).update();
    }

    /** Every version of the job's plan, oldest first. */
    public List<Plan> plans(UUID jobId) {
        return jdbc.sql("SELECT plan::text FROM scheduler.plans WHERE job_id = :job ORDER BY plan_version")
                .param("job", jobId)
                .query(String.class)
                .list().stream().map(this::readPlan).toList();
    }

    public Optional<Plan> latestPlan(UUID jobId) {
        return jdbc.sql("""
                        SELECT plan::text FROM scheduler.plans WHERE job_id = :job
                        ORDER BY plan_version DESC LIMIT 1""")
                .param("job", jobId)
                .query(String.class)
                .optional()
                .map(this::readPlan);
    }

    /** Plans not yet acknowledged by Kafka that were stored more than {@code olderThan} ago, oldest first. */
    public List<Plan> unpublishedPlans(Duration olderThan) {
        return jdbc.sql("""
                        SELECT plan::text FROM scheduler.plans
                        WHERE NOT published AND created_at <= now() - :ageMillis * interval '1 millisecond'
                        ORDER BY created_at, job_id, plan_version""")
                .param("ageMillis", olderThan.toMillis())
                .query(String.class)
                .list().stream().map(this::readPlan).toList();
    }

    public List<PendingFailure> unpublishedFailures(Duration olderThan) {
        return jdbc.sql("""
                        SELECT job_id, reason FROM scheduler.job_failures
                        WHERE NOT published AND created_at <= now() - :ageMillis * interval '1 millisecond'
                        ORDER BY created_at, job_id""")
                .param("ageMillis", olderThan.toMillis())
                .query((rs, n) -> new PendingFailure(rs.getObject("job_id", UUID.class), rs.getString("reason")))
                .list();
    }

    private boolean insertProcessed(UUID eventId, UUID jobId) {
        return jdbc.sql("""
                        INSERT INTO scheduler.processed_events (event_id, job_id) VALUES (:event, :job)
                        ON CONFLICT (event_id) DO NOTHING""")
                .param("event", eventId).param("job", jobId).update() == 1;
    }

    private Plan readPlan(String text) {
        return json.readValue(text, Plan.class);
    }
}
