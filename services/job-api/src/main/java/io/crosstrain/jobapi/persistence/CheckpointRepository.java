package io.crosstrain.jobapi.persistence;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.crosstrain.contracts.CheckpointShard;

/** Announced checkpoint shards and complete checkpoints, in schema {@code job_api}. */
@Repository
public class CheckpointRepository {

    /** One shard as announced by the worker that wrote it. */
    public record ShardRow(String key, long offset, long count, long bytes, String sha256, double pauseMs,
                           double uploadMs) {
    }

    /** A complete checkpoint: its manifest is in the store. */
    public record CheckpointRow(UUID jobId, long step, int planVersion, String manifestKey, long bytes,
                                double uploadMs, double pauseMs, Instant createdAt) {
    }

    private static final String CHECKPOINT_COLUMNS =
            "job_id, step, plan_version, manifest_key, bytes, upload_ms, pause_ms, created_at";

    private final JdbcClient jdbc;

    public CheckpointRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** @return false for a redelivery (the same shard of the same step and plan version is known) */
    public boolean insertShard(CheckpointShard s) {
        return jdbc.sql("""
                        insert into job_api.checkpoint_shards (job_id, step, plan_version, shard_key, first_element,
                            elements, total, bytes, sha256, device_id, pause_ms, upload_ms)
                        values (:jobId, :step, :planVersion, :key, :offset, :count, :total, :bytes, :sha256,
                            :deviceId, :pauseMillis, :uploadMillis)
                        on conflict do nothing""")
                .paramSource(s)
                .update() == 1;
    }

    /** The shards of one step as one plan version wrote them, by offset. */
    public List<ShardRow> shards(UUID jobId, long step, int planVersion) {
        return jdbc.sql("""
                        select shard_key, first_element, elements, bytes, sha256, pause_ms, upload_ms
                          from job_api.checkpoint_shards
                         where job_id = :id and step = :step and plan_version = :v
                         order by first_element, elements, shard_key""")
                .param("id", jobId).param("step", step).param("v", planVersion)
                .query((rs, n) -> new ShardRow(rs.getString("shard_key"), rs.getLong("first_element"),
                        rs.getLong("elements"), rs.getLong("bytes"), rs.getString("sha256"),
                        rs.getDouble("pause_ms"), rs.getDouble("upload_ms")))
                .list();
    }

    /**
     * Records a complete checkpoint; a newer plan version's checkpoint of the same step (a resume plan redid it)
     * replaces the older one.
     *
     * @return false when the step already has a checkpoint of this or a newer plan version
     */
    public boolean upsertCheckpoint(CheckpointRow c) {
        return jdbc.sql("""
                        insert into job_api.checkpoints (job_id, step, plan_version, manifest_key, bytes, upload_ms,
                            pause_ms, created_at)
                        values (:jobId, :step, :planVersion, :manifestKey, :bytes, :uploadMs, :pauseMs, :at)
                        on conflict (job_id, step) do update
                            set plan_version = excluded.plan_version, manifest_key = excluded.manifest_key,
                                bytes = excluded.bytes, upload_ms = excluded.upload_ms, pause_ms = excluded.pause_ms,
                                created_at = excluded.created_at
                          where job_api.checkpoints.plan_version < excluded.plan_version""")
                .param("jobId", c.jobId()).param("step", c.step()).param("planVersion", c.planVersion())
                .param("manifestKey", c.manifestKey()).param("bytes", c.bytes()).param("uploadMs", c.uploadMs())
                .param("pauseMs", c.pauseMs()).param("at", JobRepository.ts(c.createdAt()))
                .update() == 1;
    }

    /** Whether the step has a checkpoint of this plan version or a newer one. */
    public boolean complete(UUID jobId, long step, int planVersion) {
        return jdbc.sql("""
                        select 1 from job_api.checkpoints
                         where job_id = :id and step = :step and plan_version >= :v""")
                .param("id", jobId).param("step", step).param("v", planVersion)
                .query(Integer.class).optional().isPresent();
    }

    /** The job's checkpoints, oldest first. */
    public List<CheckpointRow> list(UUID jobId) {
        return jdbc.sql("select " + CHECKPOINT_COLUMNS + " from job_api.checkpoints where job_id = :id order by step")
                .param("id", jobId).query(CheckpointRepository::map).list();
    }

    /** The checkpoint of {@code step}, or the newest when {@code step} is null. */
    public Optional<CheckpointRow> find(UUID jobId, Long step) {
        return jdbc.sql("select " + CHECKPOINT_COLUMNS + " from job_api.checkpoints where job_id = :id"
                        + " and (cast(:step as bigint) is null or step = :step) order by step desc limit 1")
                .param("id", jobId).param("step", step).query(CheckpointRepository::map).optional();
    }

    /** Forgets pruned steps: their checkpoint rows and every shard announced for them. */
    public void deleteSteps(UUID jobId, Collection<Long> steps) {
        if (steps.isEmpty()) {
            return;
        }
        jdbc.sql("delete from job_api.checkpoints where job_id = :id and step in (:steps)")
                .param("id", jobId).param("steps", steps).update();
        jdbc.sql("delete from job_api.checkpoint_shards where job_id = :id and step in (:steps)")
                .param("id", jobId).param("steps", steps).update();
    }

    private static CheckpointRow map(java.sql.ResultSet rs, int row) throws java.sql.SQLException {
        return new CheckpointRow(rs.getObject("job_id", UUID.class), rs.getLong("step"), rs.getInt("plan_version"),
                rs.getString("manifest_key"), rs.getLong("bytes"), rs.getDouble("upload_ms"),
                rs.getDouble("pause_ms"), rs.getObject("created_at", OffsetDateTime.class).toInstant());
    }
}
