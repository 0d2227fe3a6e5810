package io.crosstrain.web;

/**
 * Whose data a request may see, from the caller headers the gateway sets after it authenticated the caller (it drops
 * any a client sent under these names). The one place these header names are spelled.
 *
 * @param tenant the caller's tenant
 * @param admin  admins see every tenant
 */
public record CallerScope(String tenant, boolean admin) {

    public static final String TENANT_HEADER = "X-CrossTrain-Tenant";
    public static final String ROLE_HEADER = "X-CrossTrain-Role";
    public static final String PRINCIPAL_HEADER = "X-CrossTrain-Principal";
    public static final String ADMIN_ROLE = "admin";

    /**
     * A request without caller headers did not come through the gateway: today that is a service of the stack and is
     * treated as an admin of the default tenant (docs/architecture.md §10 names this gap).
     */
    public static final CallerScope INTERNAL = new CallerScope("default", true);

    public static CallerScope of(String tenantHeader, String roleHeader) {
        if (tenantHeader == null || tenantHeader.isBlank()) {
            return INTERNAL;
        }
        return new CallerScope(tenantHeader.strip(),
                ADMIN_ROLE.equalsIgnoreCase(roleHeader == null ? "" : roleHeader.strip()));
    }

    /** Whether this caller may see what belongs to {@code ownerTenant} (null: unknown owner, admins only). */
    public boolean sees(String ownerTenant) {
        return admin || (ownerTenant != null && ownerTenant.equals(tenant));
    }
}
