package io.crosstrain.inventory.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

class LinkRequestTest {

    @Test
    void aLinkIsStoredUnderItsOrderedPair() {
        LinkRequest.Checked ok = LinkRequest.check("sh", "bj", 10.0, 0.0);
        assertThat(ok.low()).isEqualTo("bj");
        assertThat(ok.high()).isEqualTo("sh");
        assertThat(LinkRequest.check("bj", "sh", 10.0, 25.0).low()).isEqualTo("bj");
    }

    @Test
    void namesEveryFieldAtFault() {
        assertThat(fields(null, "Not_An_Id", null, null)).containsExactly("from", "to", "gbps", "latencyMs");
        assertThat(fields("bj", "bj", 1.0, 1.0)).containsExactly("to");
        assertThat(fields("bj", "sh", 0.0, 1.0)).containsExactly("gbps");
        assertThat(fields("bj", "sh", -1.0, 1.0)).containsExactly("gbps");
        assertThat(fields("bj", "sh", Double.POSITIVE_INFINITY, 1.0)).containsExactly("gbps");
        assertThat(fields("bj", "sh", Double.NaN, 1.0)).containsExactly("gbps");
        assertThat(fields("bj", "sh", 1.0, -0.5)).containsExactly("latencyMs");
        assertThat(fields("bj", "sh", 1.0, Double.POSITIVE_INFINITY)).containsExactly("latencyMs");
    }

    @Test
    void aLinkCanBeSeenFromEitherEnd() {
        Link link = new Link("bj", "sh", 10, 30, Instant.EPOCH);
        assertThat(link.from("sh")).isEqualTo(new Link("sh", "bj", 10, 30, Instant.EPOCH));
        assertThat(link.from("bj")).isEqualTo(link);
    }

    private static java.util.List<String> fields(String from, String to, Double gbps, Double latencyMs) {
        RequestRejectedException e = catchThrowableOfType(RequestRejectedException.class,
                () -> LinkRequest.check(from, to, gbps, latencyMs));
        assertThat(e.status()).isEqualTo(400);
        return e.errors().stream().map(FieldError::field).toList();
    }
}
