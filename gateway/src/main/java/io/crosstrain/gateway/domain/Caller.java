package io.crosstrain.gateway.domain;

import java.util.Locale;

/**
 * Who sent a request, as far as the services behind the gateway need to know: a stable id (never the key itself), the
 * tenant whose jobs it may see, and its role.
 */
public record Caller(String id, String tenant, Role role) {

    public enum Role {
        /** Manages inventory and tenants; sees every tenant's jobs. */
        ADMIN,
        /** Submits, follows and cancels the jobs of its own tenant. */
        USER;

        public String wire() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Role ofWire(String role) {
            return switch (role == null ? "" : role.strip().toLowerCase(Locale.ROOT)) {
                case "admin" -> ADMIN;
                case "user" -> USER;
                default -> throw new IllegalArgumentException("role must be 'admin' or 'user'");
            };
        }
    }
}
