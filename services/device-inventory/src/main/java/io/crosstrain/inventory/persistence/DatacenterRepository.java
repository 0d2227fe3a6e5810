package io.crosstrain.inventory.persistence;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.crosstrain.inventory.domain.Datacenter;

@Repository
public class DatacenterRepository {

    private final JdbcClient jdbc;

    public DatacenterRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** @return false when a datacenter with this id already exists */
    public boolean insert(String id, String name, String region) {
        return jdbc.sql("""
                        insert into inventory.datacenters (id, name, region) values (:id, :name, :region)
                        on conflict (id) do nothing""")
                .param("id", id).param("name", name).param("region", region)
                .update() == 1;
    }

    public List<Datacenter> findAll() {
        return jdbc.sql("select id, name, region, created_at from inventory.datacenters order by id")
                .query(DatacenterRepository::map).list();
    }

    public Optional<Datacenter> find(String id) {
        return jdbc.sql("select id, name, region, created_at from inventory.datacenters where id = :id")
                .param("id", id).query(DatacenterRepository::map).optional();
    }

    /** Locks the datacenter row so it cannot vanish while a device is added to it. */
    public boolean existsForShare(String id) {
        return jdbc.sql("select 1 from inventory.datacenters where id = :id for share")
                .param("id", id).query(Integer.class).optional().isPresent();
    }

    private static Datacenter map(ResultSet rs, int row) throws SQLException {
        return new Datacenter(rs.getString("id"), rs.getString("name"), rs.getString("region"),
                rs.getObject("created_at", OffsetDateTime.class).toInstant());
    }
}
