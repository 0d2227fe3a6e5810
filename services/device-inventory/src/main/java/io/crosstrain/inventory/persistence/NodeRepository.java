package io.crosstrain.inventory.persistence;

import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.crosstrain.inventory.domain.Node;

@Repository
public class NodeRepository {

    private static final String SELECT = """
            select n.id, n.datacenter_id, n.created_at,
                   coalesce(array_agg(d.id order by d.id) filter (where d.id is not null), '{}') as device_ids
              from inventory.nodes n left join inventory.devices d on d.node_id = n.id
            """;

    private final JdbcClient jdbc;

    public NodeRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** @return false when a node with this id already exists */
    public boolean insert(String id, String datacenter) {
        return jdbc.sql("""
                        insert into inventory.nodes (id, datacenter_id) values (:id, :dc)
                        on conflict (id) do nothing""")
                .param("id", id).param("dc", datacenter).update() == 1;
    }

    /**
     * Creates the node on first use.
     *
     * @return the datacenter the node belongs to (which may differ from {@code datacenter} if it already existed)
     */
    public String ensure(String nodeId, String datacenter) {
        insert(nodeId, datacenter);
        return jdbc.sql("select datacenter_id from inventory.nodes where id = :id")
                .param("id", nodeId).query(String.class).single();
    }

    public Optional<Node> find(String id) {
        return jdbc.sql(SELECT + " where n.id = :id group by n.id")
                .param("id", id).query(NodeRepository::map).optional();
    }

    public List<Node> findAll(String datacenter) {
        if (datacenter == null) {
            return jdbc.sql(SELECT + " group by n.id order by n.id").query(NodeRepository::map).list();
        }
        return jdbc.sql(SELECT + " where n.datacenter_id = :dc group by n.id order by n.id")
                .param("dc", datacenter).query(NodeRepository::map).list();
    }

    private static Node map(ResultSet rs, int row) throws SQLException {
        Array ids = rs.getArray("device_ids");
        List<String> deviceIds = Arrays.asList((String[]) ids.getArray());
        return new Node(rs.getString("id"), rs.getString("datacenter_id"), List.copyOf(deviceIds),
                rs.getObject("created_at", OffsetDateTime.class).toInstant());
    }
}
