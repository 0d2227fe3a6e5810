package io.crosstrain.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CallerTokensTest {

    static final String OLD = "old:" + "a".repeat(40);
    static final String NEW = "new:" + "b".repeat(40);
    static final Instant NOW = Instant.parse("2026-12-07T04:00:00Z");
    static final CallerScope ACME = new CallerScope("key:1", "acme", CallerScope.Role.USER);

    static CallerTokens tokens(String keys, Instant at) {
        return new CallerTokens(ServiceKeys.of(keys), Clock.fixed(at, ZoneOffset.UTC), Duration.ofSeconds(60));
    }

    @Test
    void aSignedCallerComesBackAsItWasSigned() {
        for (CallerScope caller : new CallerScope[] {ACME, new CallerScope("jwt:ops", "ops", CallerScope.Role.ADMIN),
                CallerScope.service("scheduler")}) {
            assertThat(tokens(OLD, NOW).verify(tokens(OLD, NOW).sign(caller))).isEqualTo(caller);
        }
    }

    @Test
    void anExpiredTokenIsRefusedOnceTheSkewHasPassed() {
        String token = tokens(OLD, NOW).sign(ACME);
        assertThat(tokens(OLD, NOW.plusSeconds(65)).verify(token)).isEqualTo(ACME);
        assertThatThrownBy(() -> tokens(OLD, NOW.plusSeconds(71)).verify(token))
                .isInstanceOf(InvalidCallerTokenException.class).hasMessageContaining("expired");
        assertThatThrownBy(() -> tokens(OLD, NOW.minusSeconds(60)).verify(token))
                .hasMessageContaining("future");
    }

    @Test
    void aTokenOfAnotherKeyOrATamperedOneIsRefused() {
        String token = tokens(OLD, NOW).sign(ACME);
        assertThatThrownBy(() -> tokens("other:" + "c".repeat(40), NOW).verify(token))
                .isInstanceOf(InvalidCallerTokenException.class).hasMessageContaining("no key");
        assertThatThrownBy(() -> tokens("old:" + "c".repeat(40), NOW).verify(token))
                .hasMessageContaining("signature");
        String[] parts = token.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1])).replace("\"user\"", "\"admin\"");
        String forged = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes())
                + "." + parts[2];
        assertThatThrownBy(() -> tokens(OLD, NOW).verify(forged)).hasMessageContaining("signature");
        String unsigned = Base64.getUrlEncoder().withoutPadding().encodeToString(
                "{\"alg\":\"none\",\"kid\":\"old\"}".getBytes()) + "." + parts[1] + ".";
        assertThatThrownBy(() -> tokens(OLD, NOW).verify(unsigned)).isInstanceOf(InvalidCallerTokenException.class);
        for (String junk : new String[] {"", "ctk_an-api-key", "a.b.c"}) {
            assertThatThrownBy(() -> tokens(OLD, NOW).verify(junk)).isInstanceOf(InvalidCallerTokenException.class);
        }
    }

    @Test
    void aSignerCannotMakeLongLivedTokens() {
        assertThatThrownBy(() -> new CallerTokens(ServiceKeys.of(OLD), Clock.systemUTC(), Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keysRotateInAFileWithoutRefusingATokenInFlight(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("service-keys");
        Files.writeString(file, OLD);
        ServiceKeys keys = ServiceKeys.fromFile(file);
        CallerTokens tokens = new CallerTokens(keys, Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofSeconds(60));
        String before = tokens.sign(ACME);

        rewrite(file, NEW + "," + OLD, 1); // the new key signs, the old one still verifies
        String after = tokens.sign(ACME);
        assertThat(keys.signing().id()).isEqualTo("new");
        assertThat(tokens.verify(before)).isEqualTo(ACME);
        assertThat(tokens.verify(after)).isEqualTo(ACME);

        rewrite(file, "new:", 2); // half-written: the keys in force stay
        assertThat(tokens.verify(before)).isEqualTo(ACME);

        rewrite(file, NEW, 3); // the old key retired
        assertThat(tokens.verify(after)).isEqualTo(ACME);
        assertThatThrownBy(() -> tokens.verify(before)).hasMessageContaining("no key");
    }

    @Test
    void badKeyListsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> ServiceKeys.of("")).hasMessageContaining("CROSSTRAIN_SERVICE_KEYS");
        assertThatThrownBy(() -> ServiceKeys.of("k1:short")).hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> ServiceKeys.of(OLD + "," + OLD)).hasMessageContaining("twice");
        assertThatThrownBy(() -> ServiceKeys.of("no-colon")).hasMessageContaining("id:secret");
        assertThat(ServiceKeys.of(ServiceKeys.generate()).ids()).hasSize(1);
    }

    /** Rewrites the file with a distinct modification time (file systems may keep whole seconds only). */
    private static void rewrite(Path file, String text, int step) throws Exception {
        Files.writeString(file, text);
        Files.setLastModifiedTime(file, FileTime.from(NOW.plusSeconds(step)));
    }
}
