package io.crosstrain.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;

import io.crosstrain.testsupport.TestInfra.Source;

class TestInfraTest {

    private static BooleanSupplier engine(boolean answers, AtomicInteger asked) {
        return () -> {
            asked.incrementAndGet();
            return answers;
        };
    }

    @Test
    void autoTakesContainersExactlyWhenAnEngineAnswers() {
        AtomicInteger asked = new AtomicInteger();
        assertThat(TestInfra.decide(null, engine(true, asked))).isEqualTo(Source.CONTAINERS);
        assertThat(TestInfra.decide("auto", engine(true, asked))).isEqualTo(Source.CONTAINERS);
        assertThat(TestInfra.decide(null, engine(false, asked))).isEqualTo(Source.LOCAL);
        assertThat(TestInfra.decide("AUTO", engine(false, asked))).isEqualTo(Source.LOCAL);
        assertThat(asked).hasValue(4);
    }

    @Test
    void localNeverAsksTheEngine() {
        AtomicInteger asked = new AtomicInteger();
        assertThat(TestInfra.decide("local", engine(true, asked))).isEqualTo(Source.LOCAL);
        assertThat(asked).hasValue(0);
    }

    @Test
    void containersRequiresAnEngineRatherThanFallingBack() {
        AtomicInteger asked = new AtomicInteger();
        assertThat(TestInfra.decide("containers", engine(true, asked))).isEqualTo(Source.CONTAINERS);
        assertThatThrownBy(() -> TestInfra.decide("containers", engine(false, asked)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no Docker engine with");
    }

    @Test
    void anUnknownSettingIsNamed() {
        assertThatThrownBy(() -> TestInfra.decide("docker", () -> true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("crosstrain.test.infra")
                .hasMessageContaining("'docker'");
    }
}
