package io.crosstrain.inventory.api;

import static io.crosstrain.inventory.api.WebSlice.assertProblem;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.assertj.MockMvcTester;

import io.crosstrain.planner.ChipCatalogue;

/**
 * Web slice for what the device endpoints check before the database: registration with memory, label replacement
 * and the event limit. The catalogue lookup of a registration needs the database, so these bodies fail earlier or
 * on fields checked without it.
 */
@WebMvcTest
@Import(WebSlice.class)
class DeviceControllerTest {

    @Autowired
    MockMvcTester mvc;

    final String chip = ChipCatalogue.defaults().all().get(0).name();

    @Test
    void replacementLabelsMustBeShortStrings() {
        assertProblem(putLabels("{\"rack\":7}"), 400, "labels.rack");
        assertProblem(putLabels("{\"rack\":{\"row\":1}}"), 400, "labels.rack");
        assertProblem(putLabels("{\"rack\":null}"), 400, "labels.rack");
        assertProblem(putLabels("{\"rack\":\"" + "x".repeat(256) + "\"}"), 400, "labels.rack");
        assertProblem(putLabels("{\"" + "k".repeat(64) + "\":\"v\"}"), 400, "labels");
    }

    @Test
    void theEventLimitIsBounded() {
        assertProblem(mvc.get().uri("/api/v1/devices/d1/events?limit=0").exchange(), 400, "limit");
        assertProblem(mvc.get().uri("/api/v1/devices/d1/events?limit=5000").exchange(), 400, "limit");
        assertProblem(mvc.get().uri("/api/v1/devices/d1/events?limit=many").exchange(), 400, "limit");
    }

    @Test
    void aRegistrationWithABadMemoryFigureNamesIt() {
        assertProblem(register("\"memoryGb\":\"lots\""), 400, "memoryGb");
        assertProblem(register("\"gpuMemory\":80"), 400, "gpuMemory");
    }

    private org.springframework.test.web.servlet.assertj.MvcTestResult putLabels(String body) {
        return mvc.put().uri("/api/v1/devices/d1/labels").contentType(MediaType.APPLICATION_JSON).content(body)
                .exchange();
    }

    private org.springframework.test.web.servlet.assertj.MvcTestResult register(String extra) {
        return mvc.post().uri("/api/v1/devices").contentType(MediaType.APPLICATION_JSON)
                .content("{\"id\":\"d1\",\"nodeId\":\"n1\",\"datacenter\":\"bj\",\"chip\":\"" + chip + "\"," + extra
                        + "}")
                .exchange();
    }
}
