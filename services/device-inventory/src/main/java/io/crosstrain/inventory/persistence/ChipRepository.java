package io.crosstrain.inventory.persistence;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.crosstrain.inventory.domain.ChipDefinition;
import io.crosstrain.planner.ChipSpec;

/** Chips defined over REST, on top of the built-in catalogue. */
@Repository
public class ChipRepository {

    private final JdbcClient jdbc;

    public ChipRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** @return true when the chip is new, false when an existing one was updated */
    public boolean upsert(ChipSpec chip) {
        return jdbc.sql("""
                        insert into inventory.chips
                               (name_key, name, tflops, memory_gb, mem_bandwidth_tbps, unverified, source)
                        values (:key, :name, :tflops, :memory, :bandwidth, :unverified, :source)
                        on conflict (name_key) do update
                           set name = excluded.name, tflops = excluded.tflops, memory_gb = excluded.memory_gb,
                               mem_bandwidth_tbps = excluded.mem_bandwidth_tbps, unverified = excluded.unverified,
                               source = excluded.source, updated_at = now()
                        returning (xmax = 0) as inserted""")
                .param("key", ChipDefinition.key(chip.name())).param("name", chip.name())
                .param("tflops", chip.tflops()).param("memory", chip.memoryGb())
                .param("bandwidth", chip.memBandwidthTBps()).param("unverified", chip.unverified())
                .param("source", chip.source())
                .query(Boolean.class).single();
    }

    public List<ChipSpec> findAll() {
        return jdbc.sql("""
                        select name, tflops, memory_gb, mem_bandwidth_tbps, unverified, source
                          from inventory.chips order by name_key""")
                .query(ChipRepository::map).list();
    }

    private static ChipSpec map(ResultSet rs, int row) throws SQLException {
        return new ChipSpec(rs.getString("name"), rs.getDouble("tflops"), rs.getDouble("memory_gb"),
                rs.getDouble("mem_bandwidth_tbps"), rs.getBoolean("unverified"), rs.getString("source"));
    }
}
