package io.crosstrain.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import org.junit.jupiter.api.Test;
import org.springframework.util.backoff.BackOffExecution;

class TransientFailuresTest {

    @Test
    void aDatabaseThatIsAwayIsTransientWhereverItSitsInTheCauses() {
        assertThat(TransientFailures.isTransient(new SQLException("connection refused", "08001"))).isTrue();
        assertThat(TransientFailures.isTransient(new IllegalStateException("listener failed",
                new RuntimeException(new SQLException("terminating connection", "57P01"))))).isTrue();
        assertThat(TransientFailures.isTransient(new RuntimeException(
                new SQLTransientConnectionException("pool empty")))).isTrue();
    }

    @Test
    void aBadRecordOrAConstraintIsNot() {
        assertThat(TransientFailures.isTransient(new SQLException("duplicate key", "23505"))).isFalse();
        assertThat(TransientFailures.isTransient(new IllegalArgumentException("bad field"))).isFalse();
        assertThat(TransientFailures.isTransient(new SQLException("no state"))).isFalse();
    }

    @Test
    void theTransientBackOffOutlastsARestartButNotThePollInterval() {
        BackOffExecution execution = KafkaSupportAutoConfiguration.transientBackOff().start();
        long total = 0;
        int tries = 0;
        for (long next = execution.nextBackOff(); next != BackOffExecution.STOP; next = execution.nextBackOff()) {
            assertThat(next).isLessThanOrEqualTo(5_000L);
            total += next;
            tries++;
        }
        assertThat(tries).isGreaterThan(20);
        assertThat(total).isBetween(60_000L, 300_000L);
    }
}
