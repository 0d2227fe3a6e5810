package io.crosstrain.inventory.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.crosstrain.planner.ChipSpec;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

class ChipDefinitionTest {

    @Test
    void acceptsACompleteDefinition() {
        ChipSpec chip = ChipDefinition.check("MLU370-X8", 96.0, 48.0, 0.614, null, "  vendor brief, 2022 ");
        assertThat(chip.name()).isEqualTo("MLU370-X8");
        assertThat(chip.unverified()).as("defaults to false").isFalse();
        assertThat(chip.source()).isEqualTo("vendor brief, 2022");
    }

    @Test
    void namesEveryFieldAtFault() {
        assertThat(fields(null, null, null, null, null)).containsExactly("name", "tflops", "memoryGb",
                "memBandwidthTBps", "source");
        assertThat(fields("bad name/x", 1.0, 1.0, 1.0, "s")).containsExactly("name");
        assertThat(fields("x", 0.0, 1.0, 1.0, "s")).containsExactly("tflops");
        assertThat(fields("x", 1.0, Double.POSITIVE_INFINITY, 1.0, "s")).containsExactly("memoryGb");
        assertThat(fields("x", 1.0, 1.0, -2.0, "s")).containsExactly("memBandwidthTBps");
        assertThat(fields("x", 1.0, 1.0, 1.0, "   ")).containsExactly("source");
        assertThat(fields("x", 1.0, 1.0, 1.0, "s".repeat(ChipDefinition.MAX_SOURCE + 1))).containsExactly("source");
    }

    @Test
    void namesCompareIgnoringCaseAndSurroundingBlanks() {
        assertThat(ChipDefinition.key(" H20 ")).isEqualTo(ChipDefinition.key("h20"));
    }

    private static List<String> fields(String name, Double tflops, Double memoryGb, Double bandwidth, String source) {
        RequestRejectedException e = catchThrowableOfType(RequestRejectedException.class,
                () -> ChipDefinition.check(name, tflops, memoryGb, bandwidth, true, source));
        assertThat(e.status()).isEqualTo(400);
        return e.errors().stream().map(FieldError::field).toList();
    }
}
