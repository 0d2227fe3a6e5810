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
            host_cores, created_at""";
    private static final TypeReference<Map<String, String>> LABELS = new TypeReference<>() {
    };

    /** Outcome of applying a heartbeat. */
    public enum HeartbeatResult { APPLIED, STALE, UNKNOWN_DEVICE }

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public DeviceRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /**
     * Creates the node on first use.
     *
     * @return the datacenter the node belongs to (which may differ from {@code datacenter} if it already existed)
     */
    public String ensureNode(String nodeId, String datacenter) {
        jdbc.sql("""
                        insert into inventory.nodes (id, datacenter_id) values (:id, :dc)
                        on conflict (id) do nothing""")
                .param("id", nodeId).param("dc", datacenter).update();
        return jdbc.sql("select datacenter_id from inventory.nodes where id = :id")
                .param("id", nodeId).query(String.class).single();
    }

    /** @return false when a device with this id already exists */
    public boolean insert(String id, String nodeId, String datacenter, String chip, Map<String, String> labels) {
        return jdbc.sql("""
                        insert into inventory.devices (id, node_id, datacenter_id, chip, labels)
                        values (:id, :node, :dc, :chip, cast(:labels as jsonb))
                        on conflict (id) do nothing""")
                .param("id", id).param("node", nodeId).param("dc", datacenter).param("chip", chip)
                .param("labels", json.writeValueAsString(labels))
                .update() == 1;
    }

    public Optional<Device> find(String id) {
        return jdbc.sql("select " + COLUMNS + " from inventory.devices where id = :id")
                .param("id", id).query(this::map).optional();
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
        boolean known = jdbc.sql("select 1 from inventory.devices where id = :id").param("id", deviceId)
                .query(Integer.class).optional().isPresent();
        return known ? HeartbeatResult.STALE : HeartbeatResult.UNKNOWN_DEVICE;
    }

    private Device map(ResultSet rs, int row) throws SQLException {
        OffsetDateTime last = rs.getObject("last_heartbeat", OffsetDateTime.class);
        double cpu = rs.getDouble("cpu_flops_per_sec");
        Double cpuOrNull = rs.wasNull() ? null : cpu;
        int cores = rs.getInt("host_cores");
        Integer coresOrNull = rs.wasNull() ? null : cores;
        return new Device(
                rs.getString("id"),
                rs.getString("node_id"),
                rs.getString("datacenter_id"),
                rs.getString("chip"),
                json.readValue(rs.getString("labels"), LABELS),
                last == null ? null : last.toInstant(),
                rs.getString("mode"),
                cpuOrNull,
                coresOrNull,
                rs.getObject("created_at", OffsetDateTime.class).toInstant());
    }
}
