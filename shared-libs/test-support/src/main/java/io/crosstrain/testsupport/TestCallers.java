package io.crosstrain.testsupport;

import java.time.Clock;
import java.time.Duration;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.auth.CallerTokens;
import io.crosstrain.auth.ServiceKeys;

/**
 * Caller tokens for tests: the service key every test context gets ({@link TestServiceKeys}) and fresh tokens signed
 * with it, as the gateway would sign them for a caller.
 */
public final class TestCallers {

    /** Only ever used by tests; a deployed service takes its keys from configuration. */
    public static final String KEYS = "test:" + "crosstrain-test-service-key-0123456789abcdef";

    private static final CallerTokens TOKENS = new CallerTokens(ServiceKeys.of(KEYS), Clock.systemUTC(),
            Duration.ofMinutes(5));

    private TestCallers() {
    }

    public static CallerScope admin() {
        return new CallerScope("test:admin", "default", CallerScope.Role.ADMIN);
    }

    public static CallerScope user(String tenant) {
        return new CallerScope("test:" + tenant, tenant, CallerScope.Role.USER);
    }

    /** The {@code Authorization} header value the gateway would send for a caller of {@code tenant} in {@code role}. */
    public static String bearer(String tenant, String role) {
        return bearer(new CallerScope("test:" + tenant, tenant, CallerScope.Role.ofWire(role)));
    }

    /** The {@code Authorization} header value for this caller. */
    public static String bearer(CallerScope caller) {
        return "Bearer " + token(caller);
    }

    /** A caller token alone (for a Kafka command's credential header). */
    public static String token(CallerScope caller) {
        return TOKENS.sign(caller);
    }

    /** The scheduler's own identity, which alone may fail or suspend a job. */
    public static CallerScope scheduler() {
        return CallerScope.service("scheduler");
    }

    public static CallerTokens tokens() {
        return TOKENS;
    }
}
