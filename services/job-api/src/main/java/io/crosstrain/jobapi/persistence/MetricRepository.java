package io.crosstrain.jobapi.persistence;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.crosstrain.contracts.StepMetric;

/** Step metrics, one row per (job, plan version, device, step). */
@Repository
public class MetricRepository {

    private static final String COLUMNS = """
            job_id, plan_version, device_id, datacenter, chip, step, batch, loss, compute_ms, busy_ms, comm_ms,
            step_ms, started_at_ms, ended_at_ms, wan_bytes, parameters, weights_hash, mode, last, error,
            round_samples, samples_per_sec""";

    private final JdbcClient jdbc;

    public MetricRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Stores a metric once. A device that fails in a step it had already reported sends an error under the same key:
     * that is not a redelivery, so the error is kept aside ({@code late_error}) for {@link #firstError} while the
     * figures stay counted once.
     *
     * @return false when nothing new was learnt (a redelivery): the metric must not be counted again
     */
    public boolean insert(StepMetric m) {
        return jdbc.sql("""
                        insert into job_api.step_metrics (job_id, plan_version, device_id, datacenter, chip, step,
                            batch, loss, compute_ms, busy_ms, comm_ms, step_ms, started_at_ms, ended_at_ms, wan_bytes,
                            parameters, weights_hash, mode, last, error, round_samples, samples_per_sec)
                        values (:jobId, :planVersion, :deviceId, :datacenter, :chip, :step, :batch, :loss, :computeMs,
                            :busyMs, :commMs, :stepMs, :startedAtMs, :endedAtMs, :wanBytes, :parameters, :weightsHash,
                            :mode, :last, :error, :roundSamples, :samplesPerSec)
                        on conflict (job_id, plan_version, device_id, step) do update
                            set late_error = excluded.error
                          where excluded.error is not null
                            and job_api.step_metrics.error is null and job_api.step_metrics.late_error is null""")
                .paramSource(m)
                .update() == 1;
    }

    public List<StepMetric> list(UUID jobId, int fromStep, int limit) {
        return jdbc.sql("select " + COLUMNS + " from job_api.step_metrics where job_id = :id and step >= :from"
                        + " order by step, plan_version, device_id limit :limit")
                .param("id", jobId).param("from", fromStep).param("limit", limit)
                .query(MetricRepository::map).list();
    }

    public List<StepMetric> all(UUID jobId) {
        return jdbc.sql("select " + COLUMNS + " from job_api.step_metrics where job_id = :id order by step, device_id")
                .param("id", jobId).query(MetricRepository::map).list();
    }

    public boolean any(UUID jobId, int planVersion) {
        return jdbc.sql("select 1 from job_api.step_metrics where job_id = :id and plan_version = :v limit 1")
                .param("id", jobId).param("v", planVersion).query(Integer.class).optional().isPresent();
    }

    /** The latest step each device has reported under this plan version. */
    public Map<String, Integer> latestStepByDevice(UUID jobId, int planVersion) {
        Map<String, Integer> latest = new HashMap<>();
        jdbc.sql("""
                        select device_id, max(step) as step from job_api.step_metrics
                         where job_id = :id and plan_version = :v group by device_id""")
                .param("id", jobId).param("v", planVersion)
                .query((ResultSet rs) -> {
                    latest.put(rs.getString("device_id"), rs.getInt("step"));
                });
        return latest;
    }

    /** device → weights hash reported for one step under this plan version. */
    public Map<String, String> hashesAt(UUID jobId, int planVersion, int step) {
        Map<String, String> hashes = new HashMap<>();
        jdbc.sql("""
                        select device_id, weights_hash from job_api.step_metrics
                         where job_id = :id and plan_version = :v and step = :step and weights_hash is not null""")
                .param("id", jobId).param("v", planVersion).param("step", step)
                .query((ResultSet rs) -> {
                    hashes.put(rs.getString("device_id"), rs.getString("weights_hash"));
                });
        return hashes;
    }

    /** Steps that carry at least one weights hash under this plan version, ascending. */
    public List<Integer> stepsWithHashes(UUID jobId, int planVersion) {
        return jdbc.sql("""
                        select distinct step from job_api.step_metrics
                         where job_id = :id and plan_version = :v and weights_hash is not null order by step""")
                .param("id", jobId).param("v", planVersion).query(Integer.class).list();
    }

    /** Devices that have sent their final metric under this plan version. */
    public List<String> finishedDevices(UUID jobId, int planVersion) {
        return jdbc.sql("""
                        select distinct device_id from job_api.step_metrics
                         where job_id = :id and plan_version = :v and last""")
                .param("id", jobId).param("v", planVersion).query(String.class).list();
    }

    /** The earliest error a device reported under this plan version, as {@code device <id>: <error>}. */
    public Optional<String> firstError(UUID jobId, int planVersion) {
        return jdbc.sql("""
                        select device_id, coalesce(error, late_error) as error from job_api.step_metrics
                         where job_id = :id and plan_version = :v and (error is not null or late_error is not null)
                         order by step, device_id limit 1""")
                .param("id", jobId).param("v", planVersion)
                .query((rs, n) -> "device " + rs.getString("device_id") + ": " + rs.getString("error"))
                .optional();
    }

    public long count(UUID jobId) {
        return jdbc.sql("select count(*) from job_api.step_metrics where job_id = :id").param("id", jobId)
                .query(Long.class).single();
    }

    private static StepMetric map(ResultSet rs, int row) throws SQLException {
        return new StepMetric(
                rs.getObject("job_id", UUID.class),
                rs.getInt("plan_version"),
                rs.getString("device_id"),
                rs.getString("datacenter"),
                rs.getString("chip"),
                rs.getInt("step"),
                rs.getInt("batch"),
                rs.getDouble("loss"),
                rs.getDouble("compute_ms"),
                rs.getDouble("busy_ms"),
                rs.getDouble("comm_ms"),
                rs.getDouble("step_ms"),
                rs.getLong("started_at_ms"),
                rs.getLong("ended_at_ms"),
                rs.getLong("wan_bytes"),
                rs.getLong("parameters"),
                rs.getString("weights_hash"),
                rs.getString("mode"),
                rs.getBoolean("last"),
                rs.getString("error"),
                rs.getDouble("samples_per_sec"), 1, null,
                rs.getInt("round_samples"));
    }
}
