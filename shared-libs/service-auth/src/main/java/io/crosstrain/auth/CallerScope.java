package io.crosstrain.auth;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Who is calling a service, as the caller token the gateway (or a calling service) signed says, and whose data it
 * may see. A service learns it only from a verified token ({@link CallerTokens}); there is no default caller.
 *
 * @param principal a stable id of the caller (never a credential): {@code key:<uuid>}, {@code jwt:<sub>},
 *                  {@code service:<name>}
 * @param tenant    the tenant whose jobs, plans and uploads it may see
 * @param role      what it may do
 */
public record CallerScope(String principal, String tenant, Role role) {

    /** Lowercase letters, digits and '-' (the gateway's rule for tenant names). */
    public static final Pattern TENANT = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    /** The tenant service identities belong to: no user job is ever in it. */
    public static final String SYSTEM_TENANT = "system";

    public enum Role {
        /** Sees and manages every tenant. */
        ADMIN,
        /** Sees and changes its own tenant's jobs. */
        USER,
        /** A service of the stack calling another one for itself: reads the cluster, sees no tenant's jobs. */
        SERVICE;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Role ofWire(String role) {
            return switch (role == null ? "" : role.strip().toLowerCase(Locale.ROOT)) {
                case "admin" -> ADMIN;
                case "user" -> USER;
                case "service" -> SERVICE;
                default -> throw new IllegalArgumentException("role must be 'admin', 'user' or 'service'");
            };
        }

        /** The roles an API key or a user's JWT may carry: {@code admin} or {@code user}, never {@code service}. */
        public static Role ofCredential(String role) {
            Role r = role == null || role.isBlank() ? null : ofWireOrNull(role);
            if (r == null || r == SERVICE) {
                throw new IllegalArgumentException("role must be 'admin' or 'user'");
            }
            return r;
        }

        private static Role ofWireOrNull(String role) {
            try {
                return ofWire(role);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
    }

    public CallerScope {
        if (principal == null || principal.isBlank()) {
            throw new IllegalArgumentException("a caller needs a principal");
        }
        if (tenant == null || !TENANT.matcher(tenant).matches()) {
            throw new IllegalArgumentException("tenant must be lowercase letters, digits and '-'");
        }
        if (role == null) {
            throw new IllegalArgumentException("a caller needs a role");
        }
    }

    /** A service of the stack acting for itself ({@code scheduler}, {@code cli}, …). */
    public static CallerScope service(String name) {
        return new CallerScope("service:" + name, SYSTEM_TENANT, Role.SERVICE);
    }

    public boolean admin() {
        return role == Role.ADMIN;
    }

    /** Whether this caller may see what belongs to {@code ownerTenant} (null: unknown owner, admins only). */
    public boolean sees(String ownerTenant) {
        return admin() || (role == Role.USER && ownerTenant != null && ownerTenant.equals(tenant));
    }
}
