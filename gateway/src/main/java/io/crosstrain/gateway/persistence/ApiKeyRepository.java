package io.crosstrain.gateway.persistence;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.crosstrain.auth.CallerScope;

/** Tenants' API keys, by hash. */
@Repository
public class ApiKeyRepository {

    public record KeyInfo(UUID id, String tenant, String role, Instant createdAt, Instant revokedAt) {
    }

    private final JdbcClient jdbc;

    public ApiKeyRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public void insert(UUID id, String keyHash, String tenant, CallerScope.Role role, Instant now) {
        jdbc.sql("INSERT INTO gateway.api_keys (id, key_hash, tenant, role, created_at) VALUES (?, ?, ?, ?, ?)")
                .params(id, keyHash, tenant, role.wire(), Timestamp.from(now)).update();
    }

    /** The caller a live key stands for. */
    public Optional<CallerScope> findActive(String keyHash) {
        return jdbc.sql("SELECT id, tenant, role FROM gateway.api_keys WHERE key_hash = ? AND revoked_at IS NULL")
                .param(keyHash)
                .query((rs, i) -> new CallerScope("key:" + rs.getObject("id", UUID.class), rs.getString("tenant"),
                        CallerScope.Role.ofCredential(rs.getString("role"))))
                .optional();
    }

    public List<KeyInfo> list(String tenant) {
        return jdbc.sql("SELECT id, tenant, role, created_at, revoked_at FROM gateway.api_keys WHERE tenant = ? "
                        + "ORDER BY created_at, id")
                .param(tenant)
                .query((rs, i) -> new KeyInfo(rs.getObject("id", UUID.class), rs.getString("tenant"),
                        rs.getString("role"), rs.getTimestamp("created_at").toInstant(),
                        Optional.ofNullable(rs.getTimestamp("revoked_at")).map(Timestamp::toInstant).orElse(null)))
                .list();
    }

    /** @return whether a live key of that tenant was revoked */
    public boolean revoke(String tenant, UUID id, Instant now) {
        return jdbc.sql("UPDATE gateway.api_keys SET revoked_at = ? WHERE id = ? AND tenant = ? AND revoked_at IS NULL")
                .params(Timestamp.from(now), id, tenant).update() == 1;
    }
}
