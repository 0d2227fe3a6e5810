package io.crosstrain.jobapi.persistence;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.crosstrain.contracts.JobEvent;
import tools.jackson.databind.json.JsonMapper;

/** Job events waiting to be published; written in the transaction of the change they announce. */
@Repository
public class OutboxRepository {

    public record Row(long id, UUID jobId, String payload) {
    }

    private final JdbcClient jdbc;
    private final JsonMapper json;

    public OutboxRepository(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    public void add(JobEvent event) {
        jdbc.sql("""
                        insert into job_api.outbox (event_id, job_id, event_type, payload)
                        values (:eventId, :jobId, :type, :payload)""")
                .param("eventId", event.eventId()).param("jobId", event.jobId()).param("type", event.type())
                .param("payload", json.writeValueAsString(event))
                .update();
    }

    /**
     * Locks the oldest unpublished rows. SKIP LOCKED lets several instances publish side by side without sending a
     * row twice and without waiting for each other.
     */
    public List<Row> lockUnpublished(int limit) {
        return jdbc.sql("""
                        select id, job_id, payload from job_api.outbox
                         where published_at is null
                         order by id
                         limit :limit
                         for update skip locked""")
                .param("limit", limit)
                .query((rs, n) -> new Row(rs.getLong("id"), rs.getObject("job_id", UUID.class),
                        rs.getString("payload")))
                .list();
    }

    public void markPublished(List<Long> ids, Instant at) {
        if (ids.isEmpty()) {
            return;
        }
        jdbc.sql("update job_api.outbox set published_at = :at where id in (:ids)")
                .param("at", JobRepository.ts(at)).param("ids", ids)
                .update();
    }

    public int deletePublishedBefore(Instant cutoff) {
        return jdbc.sql("delete from job_api.outbox where published_at is not null and published_at < :cutoff")
                .param("cutoff", JobRepository.ts(cutoff)).update();
    }

    public long unpublished() {
        return jdbc.sql("select count(*) from job_api.outbox where published_at is null").query(Long.class).single();
    }
}
