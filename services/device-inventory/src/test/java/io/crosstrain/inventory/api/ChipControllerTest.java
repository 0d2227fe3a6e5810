package io.crosstrain.inventory.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.assertj.MockMvcTester;

import io.crosstrain.planner.ChipCatalogue;

/** Web slice: the catalogue endpoint and the problem+json shape of errors, with the real catalogue. */
@WebMvcTest(ChipController.class)
class ChipControllerTest {

    @TestConfiguration
    static class Catalogue {
        @Bean
        ChipCatalogue chipCatalogue() {
            return ChipCatalogue.defaults();
        }
    }

    @Autowired
    MockMvcTester mvc;

    @Test
    void listsEveryChipWithItsSource() {
        int chips = ChipCatalogue.defaults().all().size();
        assertThat(mvc.get().uri("/api/v1/chips"))
                .hasStatusOk()
                .bodyJson()
                .hasPathSatisfying("$.length()", v -> v.assertThat().isEqualTo(chips))
                .hasPathSatisfying("$[0].source", v -> v.assertThat().asString().isNotBlank())
                .hasPathSatisfying("$[0].tflops", v -> v.assertThat().isNotNull());
    }

    @Test
    void unknownChipIsAProblem() {
        assertThat(mvc.get().uri("/api/v1/chips/no-such-chip"))
                .hasStatus(404)
                .hasContentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .bodyJson()
                .extractingPath("$.detail").asString().contains("no-such-chip");
    }
}
