package io.crosstrain.gateway.api;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.gateway.domain.ApiKeys;
import io.crosstrain.gateway.persistence.ApiKeyRepository;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

/** Admin only (see SecurityConfig): API keys of tenants. A key is shown once, when it is made. */
@RestController
@RequestMapping("/api/v1/tenants/{tenant}/keys")
@Tag(name = "tenants", description = "API keys of tenants (admin)")
class TenantKeyController {

    record NewKey(String role) {
    }

    record IssuedKey(UUID id, String tenant, String role, String key) {
        /** Spring's debug log prints returned bodies with toString: never the key. */
        @Override
        public String toString() {
            return "IssuedKey[id=" + id + ", tenant=" + tenant + ", role=" + role + ", key=(hidden)]";
        }
    }

    private final ApiKeyRepository keys;
    private final Clock clock = Clock.systemUTC();

    TenantKeyController(ApiKeyRepository keys) {
        this.keys = keys;
    }

    @Operation(summary = "Issue an API key for a tenant (role user unless asked otherwise)")
    @PostMapping
    ResponseEntity<IssuedKey> issue(@PathVariable String tenant, @RequestBody(required = false) NewKey body) {
        checkTenant(tenant);
        CallerScope.Role role;
        try {
            role = CallerScope.Role.ofCredential(body == null || body.role() == null ? "user" : body.role());
        } catch (IllegalArgumentException e) {
            throw RequestRejectedException.invalid(List.of(new FieldError("role", e.getMessage())));
        }
        String key = ApiKeys.generate();
        UUID id = UUID.randomUUID();
        keys.insert(id, ApiKeys.hash(key), tenant, role, now());
        return ResponseEntity.created(URI.create("/api/v1/tenants/" + tenant + "/keys/" + id))
                .body(new IssuedKey(id, tenant, role.wire(), key));
    }

    @Operation(summary = "List a tenant's keys (ids and roles, never the keys)")
    @GetMapping
    List<ApiKeyRepository.KeyInfo> list(@PathVariable String tenant) {
        checkTenant(tenant);
        return keys.list(tenant);
    }

    @Operation(summary = "Revoke a tenant's key")
    @DeleteMapping("/{id}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void revoke(@PathVariable String tenant, @PathVariable UUID id) {
        checkTenant(tenant);
        if (!keys.revoke(tenant, id, now())) {
            throw RequestRejectedException.notFound("tenant " + tenant + " has no live key " + id);
        }
    }

    private static void checkTenant(String tenant) {
        if (!ApiKeys.TENANT.matcher(tenant).matches()) {
            throw RequestRejectedException.invalid(List.of(new FieldError("tenant",
                    "must be 1-63 lowercase letters, digits or '-', starting with a letter or digit")));
        }
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
