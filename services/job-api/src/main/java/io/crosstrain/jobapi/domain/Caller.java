package io.crosstrain.jobapi.domain;

/**
 * On whose behalf a request comes, as the gateway authenticated it. A user sees only its own tenant's jobs; an admin
 * sees all. Requests without the gateway's headers come from inside the trusted network (the services' own ports are
 * not published) and act as an admin of the default tenant.
 */
public record Caller(String tenant, boolean admin) {

    public static final Caller INTERNAL = new Caller(io.crosstrain.contracts.JobSpec.DEFAULT_TENANT, true);

    public boolean mayAccess(Job job) {
        return admin || tenant.equals(job.tenant());
    }
}
