package io.crosstrain.inventory.persistence;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.crosstrain.contracts.DeviceEvent;
import tools.jackson.databind.json.JsonMapper;

/**
 * Device health events: written in the transaction of the status change they announce (the outbox), published
 * later, and kept afterwards as the device's history.
 */
@Repository
public class DeviceEventRepository {

    /** Arbitrary, fixed: the advisory lock that lets one instance at a time publish, so events keep their order. */
    static final long PUBLISHER_LOCK = 0x1D_E71CE_0E7L;

    public record Row(long id, String deviceId, String payload) {
    }

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public DeviceEventRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    public void add(DeviceEvent event) {
        jdbc.sql("""
                        insert into inventory.device_events
                               (event_id, device_id, from_status, to_status, reason, at, payload)
                        values (:eventId, :device, :from, :to, :reason, :at, :payload)""")
                .param("eventId", event.eventId()).param("device", event.deviceId())
                .param("from", event.from()).param("to", event.to()).param("reason", event.reason())
                .param("at", ts(event.at())).param("payload", json.writeValueAsString(event))
                .update();
    }

    /** The newest {@code limit} events of a device, oldest first. */
    public List<DeviceEvent> history(String deviceId, int limit) {
        List<DeviceEvent> events = new ArrayList<>(jdbc.sql("""
                        select payload from inventory.device_events where device_id = :device
                         order by id desc limit :limit""")
                .param("device", deviceId).param("limit", limit)
                .query((rs, n) -> json.readValue(rs.getString("payload"), DeviceEvent.class)).list());
        Collections.reverse(events);
        return events;
    }

    /**
     * Takes the publisher lock for the current transaction. Without it two instances could each send part of a
     * device's events and get them out of order.
     */
    public boolean tryPublisherLock() {
        return Boolean.TRUE.equals(jdbc.sql("select pg_try_advisory_xact_lock(:key)")
                .param("key", PUBLISHER_LOCK).query(Boolean.class).single());
    }

    public List<Row> lockUnpublished(int limit) {
        return jdbc.sql("""
                        select id, device_id, payload from inventory.device_events
                         where published_at is null
                         order by id
                         limit :limit
                         for update skip locked""")
                .param("limit", limit)
                .query(DeviceEventRepository::map)
                .list();
    }

    public void markPublished(List<Long> ids, Instant at) {
        if (ids.isEmpty()) {
            return;
        }
        jdbc.sql("update inventory.device_events set published_at = :at where id in (:ids)")
                .param("at", ts(at)).param("ids", ids).update();
    }

    private static Row map(ResultSet rs, int n) throws SQLException {
        return new Row(rs.getLong("id"), rs.getString("device_id"), rs.getString("payload"));
    }

    static OffsetDateTime ts(Instant at) {
        return at.atOffset(ZoneOffset.UTC);
    }
}
