package io.crosstrain.inventory.persistence;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.crosstrain.inventory.domain.Link;

/** WAN links, one row per unordered pair of datacenters ({@code dc_a < dc_b}). */
@Repository
public class LinkRepository {

    private static final String COLUMNS = "dc_a, dc_b, gbps, latency_ms, updated_at";

    private final JdbcClient jdbc;

    public LinkRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Inserts or updates the link between {@code low < high}.
     *
     * @return true when the link is new
     */
    public boolean upsert(String low, String high, double gbps, double latencyMs) {
        // xmax is 0 only on a freshly inserted row version: tells insert from update in one statement
        return jdbc.sql("""
                        insert into inventory.links (dc_a, dc_b, gbps, latency_ms) values (:a, :b, :gbps, :lat)
                        on conflict (dc_a, dc_b) do update
                           set gbps = excluded.gbps, latency_ms = excluded.latency_ms, updated_at = now()
                        returning (xmax = 0) as inserted""")
                .param("a", low).param("b", high).param("gbps", gbps).param("lat", latencyMs)
                .query(Boolean.class).single();
    }

    public Optional<Link> find(String low, String high) {
        return jdbc.sql("select " + COLUMNS + " from inventory.links where dc_a = :a and dc_b = :b")
                .param("a", low).param("b", high).query(LinkRepository::map).optional();
    }

    public List<Link> findAll(String datacenter) {
        if (datacenter == null) {
            return jdbc.sql("select " + COLUMNS + " from inventory.links order by dc_a, dc_b")
                    .query(LinkRepository::map).list();
        }
        return jdbc.sql("select " + COLUMNS + " from inventory.links where dc_a = :dc or dc_b = :dc "
                        + "order by dc_a, dc_b")
                .param("dc", datacenter).query(LinkRepository::map).list();
    }

    /** @return false when there was no such link */
    public boolean delete(String low, String high) {
        return jdbc.sql("delete from inventory.links where dc_a = :a and dc_b = :b")
                .param("a", low).param("b", high).update() == 1;
    }

    private static Link map(ResultSet rs, int row) throws SQLException {
        return new Link(rs.getString("dc_a"), rs.getString("dc_b"), rs.getDouble("gbps"), rs.getDouble("latency_ms"),
                rs.getObject("updated_at", OffsetDateTime.class).toInstant());
    }
}
