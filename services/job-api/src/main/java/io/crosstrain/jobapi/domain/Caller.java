package io.crosstrain.jobapi.domain;

/**
 * On whose behalf a request comes, as its verified caller token says. A user sees only its own tenant's jobs; an admin
 * sees all; a service identity sees none.
 */
public record Caller(String tenant, boolean admin) {

    /** The job API acting for itself (its own follow-ups, never an HTTP request or a Kafka command). */
    public static final Caller INTERNAL = new Caller(io.crosstrain.contracts.JobSpec.DEFAULT_TENANT, true);

    public boolean mayAccess(Job job) {
        return admin || tenant.equals(job.tenant());
    }
}
