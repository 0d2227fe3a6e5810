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
                someChip.toLowerCase(), Map.of("rack", "r1"), catalogue);
        assertThat(ok.chip().name()).isEqualTo(someChip);
        assertThat(ok.labels()).containsEntry("rack", "r1");
    }

    @Test
    void namesEveryFieldAtFault() {
        RequestRejectedException e = catchThrowableOfType(RequestRejectedException.class,
                () -> DeviceRegistration.check("Bad_Id", null, "-dc", "no-such-chip", null, catalogue));
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.errors()).extracting(FieldError::field)
                .containsExactly("id", "nodeId", "datacenter", "chip");
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
