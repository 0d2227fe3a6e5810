package io.crosstrain.inventory.persistence;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.crosstrain.inventory.domain.Device;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

@Repository
public class DeviceRepository {

    private static final String COLUMNS = """
            id, node_id, datacenter_id, chip, labels::text as labels, last_heartbeat, mode, cpu_flops_per_sec,
            host_cores, memory_gb, created_at""";
    private static final TypeReference<Map<String, String>> LABELS = new TypeReference<>() {
    };

    /** Outcome of applying a heartbeat. */
    public enum HeartbeatResult { APPLIED, STALE, UNKNOWN_DEVICE }

    /**
     * What a health decision is based on. {@code lastStatus} is the status of the last recorded event (null before
     * the first); {@code lastHeartbeat} is exactly as stored, so it can be compared in a conditional update.
     */
    public record HealthRow(String id, String nodeId, String datacenter, String chip, OffsetDateTime lastHeartbeat,
                            String lastStatus) {
    }

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public DeviceRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** @return false when a device with this id already exists */
    public boolean insert(String id, String nodeId, String datacenter, String chip, double memoryGb,
                          Map<String, String> labels) {
        return jdbc.sql("""
                        insert into inventory.devices (id, node_id, datacenter_id, chip, memory_gb, labels)
                        values (:id, :node, :dc, :chip, :memory, cast(:labels as jsonb))
                        on conflict (id) do nothing""")
                .param("id", id).param("node", nodeId).param("dc", datacenter).param("chip", chip)
                .param("memory", memoryGb).param("labels", json.writeValueAsString(labels))
                .update() == 1;
    }

    /** @return false when there is no such device */
    public boolean replaceLabels(String id, Map<String, String> labels) {
        return jdbc.sql("""
                        update inventory.devices set labels = cast(:labels as jsonb), updated_at = now()
                         where id = :id""")
                .param("id", id).param("labels", json.writeValueAsString(labels))
                .update() == 1;
    }

    public Optional<Device> find(String id) {
        return jdbc.sql("select " + COLUMNS + " from inventory.devices where id = :id")
                .param("id", id).query(this::map).optional();
    }

    public boolean exists(String id) {
        return jdbc.sql("select 1 from inventory.devices where id = :id").param("id", id)
                .query(Integer.class).optional().isPresent();
    }

    public List<Device> findAll(String datacenter) {
        if (datacenter == null) {
            return jdbc.sql("select " + COLUMNS + " from inventory.devices order by id").query(this::map).list();
        }
        return jdbc.sql("select " + COLUMNS + " from inventory.devices where datacenter_id = :dc order by id")
                .param("dc", datacenter).query(this::map).list();
    }

    /**
     * Records a heartbeat unless a newer one is already stored (records can be replayed after a rebalance; an old
     * one must not make a silent device look alive again).
     */
    public HeartbeatResult applyHeartbeat(String deviceId, Instant at, String mode, double cpuFlopsPerSec,
                                          int hostCores) {
        int updated = jdbc.sql("""
                        update inventory.devices
                           set last_heartbeat = :at, mode = :mode, cpu_flops_per_sec = :cpu, host_cores = :cores,
                               updated_at = now()
                         where id = :id and (last_heartbeat is null or last_heartbeat <= :at)""")
                .param("at", at.atOffset(ZoneOffset.UTC)).param("mode", mode).param("cpu", cpuFlopsPerSec)
                .param("cores", hostCores).param("id", deviceId)
                .update();
        if (updated == 1) {
            return HeartbeatResult.APPLIED;
        }
        return exists(deviceId) ? HeartbeatResult.STALE : HeartbeatResult.UNKNOWN_DEVICE;
    }

    public Optional<HealthRow> healthRow(String id) {
        return jdbc.sql("""
                        select id, node_id, datacenter_id, chip, last_heartbeat, last_status
                          from inventory.devices where id = :id""")
                .param("id", id).query(DeviceRepository::mapHealth).optional();
    }

    /**
     * Devices whose status by the heartbeat cut-offs is worse than the stored one (or that have none yet): a cheap
     * pre-selection, the health policy decides. A device silent since before {@code downBefore} is DOWN, before
     * {@code suspectBefore} SUSPECT.
     */
    public List<HealthRow> healthChangeCandidates(Instant suspectBefore, Instant downBefore, int limit) {
        return jdbc.sql("""
                        select id, node_id, datacenter_id, chip, last_heartbeat, last_status
                          from inventory.devices
                         where last_heartbeat is not null
                           and (case when last_heartbeat < :down then 3
                                     when last_heartbeat < :suspect then 2
                                     else 1 end)
                             > (case last_status when 'HEALTHY' then 1 when 'SUSPECT' then 2 when 'DOWN' then 3
                                     else 0 end)
                         order by id
                         limit :limit""")
                .param("down", downBefore.atOffset(ZoneOffset.UTC))
                .param("suspect", suspectBefore.atOffset(ZoneOffset.UTC))
                .param("limit", limit)
                .query(DeviceRepository::mapHealth).list();
    }

    /**
     * Moves the stored status from {@code from} to {@code to} only if neither it nor the heartbeat it was derived
     * from has changed since they were read. When several instances (or a sweep and a heartbeat) race for the same
     * change, the row lock makes the others re-check this condition after the winner commits, and they update
     * nothing: the change is recorded exactly once.
     */
    public boolean compareAndSetStatus(String id, String from, String to, OffsetDateTime seenHeartbeat) {
        return jdbc.sql("""
                        update inventory.devices set last_status = :to
                         where id = :id
                           and last_status is not distinct from cast(:from as text)
                           and last_status is distinct from cast(:to as text)
                           and last_heartbeat is not distinct from cast(:seen as timestamptz)""")
                .param("id", id).param("from", from).param("to", to).param("seen", seenHeartbeat)
                .update() == 1;
    }

    private static HealthRow mapHealth(ResultSet rs, int row) throws SQLException {
        return new HealthRow(rs.getString("id"), rs.getString("node_id"), rs.getString("datacenter_id"),
                rs.getString("chip"), rs.getObject("last_heartbeat", OffsetDateTime.class),
                rs.getString("last_status"));
    }

    private Device map(ResultSet rs, int row) throws SQLException {
        OffsetDateTime last = rs.getObject("last_heartbeat", OffsetDateTime.class);
        return new Device(
                rs.getString("id"),
                rs.getString("node_id"),
                rs.getString("datacenter_id"),
                rs.getString("chip"),
                json.readValue(rs.getString("labels"), LABELS),
                last == null ? null : last.toInstant(),
                rs.getString("mode"),
                nullableDouble(rs, "cpu_flops_per_sec"),
                nullableInt(rs, "host_cores"),
                nullableDouble(rs, "memory_gb"),
                rs.getObject("created_at", OffsetDateTime.class).toInstant());
    }

    static Double nullableDouble(ResultSet rs, String column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }

    static Integer nullableInt(ResultSet rs, String column) throws SQLException {
        int v = rs.getInt(column);
        return rs.wasNull() ? null : v;
    }
}
