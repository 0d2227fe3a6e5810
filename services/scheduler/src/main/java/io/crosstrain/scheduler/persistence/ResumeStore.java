package io.crosstrain.scheduler.persistence;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.annotation.Transactional;

import io.crosstrain.contracts.CheckpointRef;
import io.crosstrain.contracts.Plan;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checkpoints and suspensions (schema {@code scheduler}, V4). A job is suspended while its newest plan version has a
 * suspension row; a suspended job waits in the queue again, and its devices are free.
 */
@Repository
public class ResumeStore {

    /** A suspended plan version and what may end the suspension. */
    public record Suspension(UUID jobId, int planVersion, String reason, boolean autoResume, boolean acknowledged,
                             boolean resumeRequested, Instant createdAt) {
    }

    /** The newest plan of a job job-api runs, with its state and when the plan was stored. */
    public record Watched(Plan plan, String state, Instant createdAt) {
    }

    public record PendingSuspension(UUID jobId, int planVersion, String reason) {
    }

    private static final String NEWEST = "(SELECT max(plan_version) FROM scheduler.plans p WHERE p.job_id = s.job_id)";

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public ResumeStore(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Keeps the checkpoint if it is newer (plan version first, then step) than the one held; true if kept. */
    public boolean recordCheckpoint(UUID jobId, CheckpointRef ref) {
        return jdbc.sql("""
                        INSERT INTO scheduler.checkpoints (job_id, step, plan_version, manifest, bytes)
                        VALUES (:job, :step, :version, :manifest, :bytes)
                        ON CONFLICT (job_id) DO UPDATE SET step = excluded.step, plan_version = excluded.plan_version,
                            manifest = excluded.manifest, bytes = excluded.bytes, updated_at = now()
                        WHERE (excluded.plan_version, excluded.step)
                            > (scheduler.checkpoints.plan_version, scheduler.checkpoints.step)""")
                .param("job", jobId).param("step", ref.step()).param("version", ref.planVersion())
                .param("manifest", ref.manifest()).param("bytes", ref.bytes())
                .update() == 1;
    }

    public Optional<CheckpointRef> latestCheckpoint(UUID jobId) {
        return jdbc.sql("SELECT step, plan_version, manifest, bytes FROM scheduler.checkpoints WHERE job_id = :job")
                .param("job", jobId)
                .query((rs, n) -> new CheckpointRef(rs.getLong("step"), rs.getInt("plan_version"),
                        rs.getString("manifest"), rs.getLong("bytes")))
                .optional();
    }

    /**
     * Suspends the job at {@code planVersion} if that is still its newest plan, and puts it back in the queue,
     * atomically; false when nothing is new (already suspended, or a newer plan exists).
     */
    @Transactional
    public boolean suspend(UUID jobId, int planVersion, String reason, boolean autoResume) {
        int rows = jdbc.sql("""
                        INSERT INTO scheduler.suspensions (job_id, plan_version, reason, auto_resume)
                        SELECT :job, :version, :reason, :auto
                        WHERE :version = (SELECT max(plan_version) FROM scheduler.plans WHERE job_id = :job)
                        ON CONFLICT (job_id, plan_version) DO NOTHING""")
                .param("job", jobId).param("version", planVersion).param("reason", reason).param("auto", autoResume)
                .update();
        if (rows != 1) {
            return false;
        }
        jdbc.sql("""
                        UPDATE scheduler.queue SET status = 'QUEUED', reason = :reason, updated_at = now()
                        WHERE job_id = :job AND status = 'ADMITTED'""")
                .param("job", jobId).param("reason", reason).update();
        return true;
    }

    /** The job's suspension, if its newest plan version is suspended. */
    public Optional<Suspension> suspended(UUID jobId) {
        return suspended(List.of(jobId)).values().stream().findFirst();
    }

    /** Of these jobs, the suspended ones. */
    public Map<UUID, Suspension> suspended(Collection<UUID> jobIds) {
        Map<UUID, Suspension> out = new HashMap<>();
        if (jobIds.isEmpty()) {
            return out;
        }
        jdbc.sql("""
                        SELECT job_id, plan_version, reason, auto_resume, acknowledged, resume_requested, created_at
                        FROM scheduler.suspensions s WHERE s.job_id IN (:jobs) AND s.plan_version = """ + NEWEST)
                .param("jobs", List.copyOf(jobIds))
                .query((rs, n) -> out.put(rs.getObject("job_id", UUID.class), new Suspension(
                        rs.getObject("job_id", UUID.class), rs.getInt("plan_version"), rs.getString("reason"),
                        rs.getBoolean("auto_resume"), rs.getBoolean("acknowledged"),
                        rs.getBoolean("resume_requested"), rs.getTimestamp("created_at").toInstant())))
                .list();
        return out;
    }

    /** job-api reports the job SUSPENDED: its suspension may now end. */
    public boolean acknowledge(UUID jobId) {
        return jdbc.sql("UPDATE scheduler.suspensions s SET acknowledged = true WHERE job_id = :job AND plan_version = "
                        + NEWEST + " AND NOT acknowledged")
                .param("job", jobId).update() == 1;
    }

    /** A user asked to resume now (job-api sends that only for a SUSPENDED job, so it acknowledges too). */
    public boolean requestResume(UUID jobId) {
        return jdbc.sql("UPDATE scheduler.suspensions s SET resume_requested = true, acknowledged = true "
                        + "WHERE job_id = :job AND plan_version = " + NEWEST)
                .param("job", jobId).update() == 1;
    }

    /** Newest plans of jobs job-api reports SCHEDULED, RUNNING or RECOVERING that are not suspended. */
    public List<Watched> watched() {
        return jdbc.sql("""
                        SELECT plan, state, created_at FROM (
                            SELECT DISTINCT ON (p.job_id) p.job_id, p.plan_version, p.plan::text AS plan, s.state,
                                   p.created_at
                            FROM scheduler.plans p JOIN scheduler.job_states s ON s.job_id = p.job_id
                            ORDER BY p.job_id, p.plan_version DESC) newest
                        WHERE state IN ('SCHEDULED', 'RUNNING', 'RECOVERING')
                          AND NOT EXISTS (SELECT 1 FROM scheduler.suspensions x
                                          WHERE x.job_id = newest.job_id AND x.plan_version = newest.plan_version)""")
                .query((rs, n) -> new Watched(json.readValue(rs.getString("plan"), Plan.class), rs.getString("state"),
                        rs.getTimestamp("created_at").toInstant()))
                .list();
    }

    public void markSuspensionPublished(UUID jobId, int planVersion) {
        jdbc.sql("""
                        UPDATE scheduler.suspensions SET published = true, published_at = now()
                        WHERE job_id = :job AND plan_version = :version""")
                .param("job", jobId).param("version", planVersion).update();
    }

    /** Suspend commands not yet acknowledged by Kafka, stored more than {@code olderThan} ago, oldest first. */
    public List<PendingSuspension> unpublishedSuspensions(Duration olderThan) {
        return jdbc.sql("""
                        SELECT job_id, plan_version, reason FROM scheduler.suspensions
                        WHERE NOT published AND created_at <= now() - :ageMillis * interval '1 millisecond'
                        ORDER BY created_at, job_id""")
                .param("ageMillis", olderThan.toMillis())
                .query((rs, n) -> new PendingSuspension(rs.getObject("job_id", UUID.class), rs.getInt("plan_version"),
                        rs.getString("reason")))
                .list();
    }
}
