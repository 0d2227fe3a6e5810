package io.crosstrain.inventory.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Map;

import org.junit.jupiter.api.Test;

import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

class DeviceRegistrationTest {

    private final ChipCatalogue catalogue = ChipCatalogue.defaults();

    @Test
    void acceptsAValidDeviceAndUsesTheCatalogueSpellingOfTheChip() {
        String someChip = catalogue.all().get(0).name();
        DeviceRegistration.Checked ok = DeviceRegistration.check("bj-gpu-0", "bj-node-1", "bj",
                someChip.toLowerCase(), null, Map.of("rack", "r1"), catalogue);
        assertThat(ok.chip().name()).isEqualTo(someChip);
        assertThat(ok.labels()).containsEntry("rack", "r1");
        assertThat(ok.memoryGb()).as("defaults to the chip's memory").isEqualTo(ok.chip().memoryGb());
    }

    @Test
    void anExplicitMemoryMustBePositiveAndFinite() {
        String someChip = catalogue.all().get(0).name();
        assertThat(DeviceRegistration.check("d", "n", "dc", someChip, 24.0, null, catalogue).memoryGb())
                .isEqualTo(24.0);
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            RequestRejectedException e = catchThrowableOfType(RequestRejectedException.class,
                    () -> DeviceRegistration.check("d", "n", "dc", someChip, bad, null, catalogue));
            assertThat(e.errors()).extracting(FieldError::field).containsExactly("memoryGb");
        }
    }

    @Test
    void replacementLabelsMustBeStrings() {
        assertThat(DeviceRegistration.checkLabels(Map.of("rack", "r1"))).containsExactly(Map.entry("rack", "r1"));
        assertThat(DeviceRegistration.checkLabels(Map.of())).isEmpty();
        RequestRejectedException e = catchThrowableOfType(RequestRejectedException.class,
                () -> DeviceRegistration.checkLabels(Map.of("rack", 7)));
        assertThat(e.errors()).extracting(FieldError::field).containsExactly("labels.rack");
        e = catchThrowableOfType(RequestRejectedException.class, () -> DeviceRegistration.checkLabels(null));
        assertThat(e.errors()).extracting(FieldError::field).containsExactly("labels");
    }

    @Test
    void namesEveryFieldAtFault() {
        RequestRejectedException e = catchThrowableOfType(RequestRejectedException.class,
                () -> DeviceRegistration.check("Bad_Id", null, "-dc", "no-such-chip", -1.0, null, catalogue));
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.errors()).extracting(FieldError::field)
                .containsExactly("id", "nodeId", "datacenter", "chip", "memoryGb");
    }

    @Test
    void idsFollowTheDnsLabelRule() {
        assertThat(Ids.valid("a")).isTrue();
        assertThat(Ids.valid("0-a-b")).isTrue();
        assertThat(Ids.valid("a".repeat(63))).isTrue();
        assertThat(Ids.valid("a".repeat(64))).isFalse();
        assertThat(Ids.valid("-a")).isFalse();
        assertThat(Ids.valid("A")).isFalse();
        assertThat(Ids.valid("a_b")).isFalse();
        assertThat(Ids.valid("")).isFalse();
    }
}
