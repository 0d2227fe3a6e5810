package io.crosstrain.jobapi.persistence;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.Plan;
import io.crosstrain.jobapi.domain.HistoryEntry;
import io.crosstrain.jobapi.domain.Job;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** Jobs and their state history in schema {@code job_api}. */
@Repository
public class JobRepository {

    private static final String COLUMNS = """
            id, name, state, reason, step, steps, spec::text as spec, plan_version, created_at, updated_at, tenant""";

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public JobRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        // stored documents were written by us or by the scheduler; read them tolerantly
        this.json = json.rebuild().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    }

    /** A submitted job with the Idempotency-Key it came with, if any. */
    public record Submission(String idempotencyKey, String requestHash) {
        public static final Submission NONE = new Submission(null, null);
    }

    /**
     * @return false when the tenant already has a job under this Idempotency-Key (nothing was written then)
     */
    public boolean insert(UUID id, JobSpec spec, JobState state, String reason, Instant now, Submission submission) {
        return jdbc.sql("""
                        insert into job_api.jobs (id, name, state, reason, step, steps, spec, baseline_for,
                                                  created_at, updated_at, tenant, idempotency_key, request_hash)
                        values (:id, :name, :state, :reason, 0, :steps, cast(:spec as jsonb), :baseline, :now, :now,
                                :tenant, :key, :hash)
                        on conflict (tenant, idempotency_key) where idempotency_key is not null do nothing""")
                .param("id", id).param("name", spec.name()).param("state", state.name()).param("reason", reason)
                .param("steps", spec.steps()).param("spec", json.writeValueAsString(spec))
                .param("baseline", spec.baselineFor()).param("now", ts(now))
                .param("tenant", spec.tenantOrDefault()).param("key", submission.idempotencyKey())
                .param("hash", submission.requestHash())
                .update() == 1;
    }

    /** The job a tenant submitted under an Idempotency-Key, with the hash of the request it came with. */
    public Optional<Map.Entry<Job, String>> findByIdempotencyKey(String tenant, String key) {
        return jdbc.sql("select " + COLUMNS + ", request_hash from job_api.jobs"
                        + " where tenant = :tenant and idempotency_key = :key")
                .param("tenant", tenant).param("key", key)
                .query((rs, n) -> Map.entry(map(rs, n), rs.getString("request_hash"))).optional();
    }

    public boolean exists(UUID id) {
        return jdbc.sql("select 1 from job_api.jobs where id = :id").param("id", id)
                .query(Integer.class).optional().isPresent();
    }

    public Optional<Job> find(UUID id) {
        return jdbc.sql("select " + COLUMNS + " from job_api.jobs where id = :id").param("id", id)
                .query(this::map).optional();
    }

    /** Reads the job and locks its row until the transaction ends, so state changes are serialised per job. */
    public Optional<Job> lock(UUID id) {
        return jdbc.sql("select " + COLUMNS + " from job_api.jobs where id = :id for update").param("id", id)
                .query(this::map).optional();
    }

    /** Newest first, a page of them: of one tenant (null = all) and one state (null = any). */
    public List<Job> list(String tenant, JobState state, int limit, int offset) {
        return jdbc.sql("select " + COLUMNS + " from job_api.jobs"
                        + " where (cast(:tenant as text) is null or tenant = :tenant)"
                        + " and (cast(:state as text) is null or state = :state)"
                        + " order by created_at desc, id limit :limit offset :offset")
                .param("tenant", tenant).param("state", state == null ? null : state.name())
                .param("limit", limit).param("offset", offset)
                .query(this::map).list();
    }

    public long count(String tenant, JobState state) {
        return jdbc.sql("select count(*) from job_api.jobs"
                        + " where (cast(:tenant as text) is null or tenant = :tenant)"
                        + " and (cast(:state as text) is null or state = :state)")
                .param("tenant", tenant).param("state", state == null ? null : state.name())
                .query(Long.class).single();
    }

    public void updateState(UUID id, JobState state, String reason, Instant now) {
        jdbc.sql("update job_api.jobs set state = :state, reason = :reason, updated_at = :now where id = :id")
                .param("state", state.name()).param("reason", reason).param("now", ts(now)).param("id", id)
                .update();
    }

    /** Moves the step forward only: a late metric of an earlier step never winds the progress back. */
    public void advanceStep(UUID id, int step, Instant now) {
        jdbc.sql("update job_api.jobs set step = :step, updated_at = :now where id = :id and step < :step")
                .param("step", step).param("now", ts(now)).param("id", id).update();
    }

    /** Winds the step back to a checkpoint's: a plan that resumes from it redoes the steps after it. */
    public void rewindStep(UUID id, int step, Instant now) {
        jdbc.sql("update job_api.jobs set step = :step, updated_at = :now where id = :id and step > :step")
                .param("step", step).param("now", ts(now)).param("id", id).update();
    }

    public void storePlan(UUID id, String planJson, int version, Instant now) {
        jdbc.sql("""
                        update job_api.jobs set plan = cast(:plan as jsonb), plan_version = :version, updated_at = :now
                         where id = :id""")
                .param("plan", planJson).param("version", version).param("now", ts(now)).param("id", id)
                .update();
        jdbc.sql("""
                        insert into job_api.plan_versions (job_id, plan_version, plan, stored_at)
                        values (:id, :version, cast(:plan as jsonb), :now) on conflict do nothing""")
                .param("plan", planJson).param("version", version).param("now", ts(now)).param("id", id)
                .update();
    }

    /** One plan version of a job, as the scheduler published it. */
    public Optional<Plan> plan(UUID id, int version) {
        return jdbc.sql("select plan::text from job_api.plan_versions where job_id = :id and plan_version = :v")
                .param("id", id).param("v", version).query(String.class).optional()
                .map(p -> json.readValue(p, Plan.class));
    }

    /** Every plan version of a job, oldest first. */
    public List<Plan> planVersions(UUID id) {
        return jdbc.sql("select plan::text from job_api.plan_versions where job_id = :id order by plan_version")
                .param("id", id).query(String.class).list().stream()
                .map(p -> json.readValue(p, Plan.class)).toList();
    }

    /** The latest plan as the scheduler published it. */
    public Optional<String> planJson(UUID id) {
        return jdbc.sql("select plan::text from job_api.jobs where id = :id and plan is not null").param("id", id)
                .query(String.class).optional();
    }

    public Optional<Plan> plan(UUID id) {
        return planJson(id).map(p -> json.readValue(p, Plan.class));
    }

    /** The newest succeeded job that was submitted as the equal-split baseline of {@code jobId}. */
    public Optional<UUID> succeededBaselineOf(UUID jobId) {
        return jdbc.sql("""
                        select id from job_api.jobs where baseline_for = :id and state = 'SUCCEEDED'
                         order by updated_at desc limit 1""")
                .param("id", jobId).query(UUID.class).optional();
    }

    public void addHistory(UUID id, JobState from, JobState to, String reason, Instant at) {
        jdbc.sql("""
                        insert into job_api.job_history (job_id, from_state, to_state, reason, at)
                        values (:id, :from, :to, :reason, :at)""")
                .param("id", id).param("from", from == null ? null : from.name()).param("to", to.name())
                .param("reason", reason).param("at", ts(at))
                .update();
    }

    public List<HistoryEntry> history(UUID id) {
        return jdbc.sql("""
                        select from_state, to_state, reason, at from job_api.job_history
                         where job_id = :id order by id""")
                .param("id", id)
                .query((rs, n) -> new HistoryEntry(
                        rs.getString("from_state") == null ? null : JobState.valueOf(rs.getString("from_state")),
                        JobState.valueOf(rs.getString("to_state")), rs.getString("reason"),
                        rs.getObject("at", OffsetDateTime.class).toInstant()))
                .list();
    }

    static OffsetDateTime ts(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    private Job map(ResultSet rs, int row) throws SQLException {
        int version = rs.getInt("plan_version");
        Integer planVersion = rs.wasNull() ? null : version;
        return new Job(
                rs.getObject("id", UUID.class),
                rs.getString("name"),
                JobState.valueOf(rs.getString("state")),
                rs.getString("reason"),
                rs.getInt("step"),
                rs.getInt("steps"),
                json.readValue(rs.getString("spec"), JobSpec.class),
                planVersion,
                rs.getObject("created_at", OffsetDateTime.class).toInstant(),
                rs.getObject("updated_at", OffsetDateTime.class).toInstant(),
                rs.getString("tenant"));
    }
}
