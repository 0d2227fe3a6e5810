package io.crosstrain.inventory.api;

import static io.crosstrain.inventory.api.WebSlice.assertProblem;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.assertj.MockMvcTester;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

import io.crosstrain.planner.ChipCatalogue;

/** Web slice: chip definitions are checked field by field, and built-in chips cannot be replaced. */
@WebMvcTest
@Import(WebSlice.class)
class ChipControllerTest {

    @Autowired
    MockMvcTester mvc;

    @Test
    void everyFigureIsRequiredAndPositive() {
        assertProblem(post("{\"tflops\":1,\"memoryGb\":1,\"memBandwidthTBps\":1,\"source\":\"s\"}"), 400, "name");
        assertProblem(post("{\"name\":\"a/b\",\"tflops\":1,\"memoryGb\":1,\"memBandwidthTBps\":1,\"source\":\"s\"}"),
                400, "name");
        assertProblem(post("{\"name\":\"x1\",\"memoryGb\":1,\"memBandwidthTBps\":1,\"source\":\"s\"}"), 400, "tflops");
        assertProblem(post("{\"name\":\"x1\",\"tflops\":1,\"memoryGb\":0,\"memBandwidthTBps\":1,\"source\":\"s\"}"),
                400, "memoryGb");
        assertProblem(post("{\"name\":\"x1\",\"tflops\":1,\"memoryGb\":1,\"memBandwidthTBps\":-1,\"source\":\"s\"}"),
                400, "memBandwidthTBps");
        assertProblem(post("{\"name\":\"x1\",\"tflops\":1,\"memoryGb\":1,\"memBandwidthTBps\":1,\"unverified\":\"maybe\","
                + "\"source\":\"s\"}"), 400, "unverified");
        assertProblem(post("{\"name\":\"x1\",\"tflops\":1,\"memoryGb\":1,\"memBandwidthTBps\":1,\"vendor\":\"v\","
                + "\"source\":\"s\"}"), 400, "vendor");
    }

    @Test
    void theSourceOfTheFiguresIsRequired() {
        assertProblem(post("{\"name\":\"x1\",\"tflops\":1,\"memoryGb\":1,\"memBandwidthTBps\":1}"), 400, "source");
        assertProblem(post("{\"name\":\"x1\",\"tflops\":1,\"memoryGb\":1,\"memBandwidthTBps\":1,\"source\":\" \"}"),
                400, "source");
    }

    @Test
    void aBuiltInChipCannotBeReplacedWhateverTheCase() {
        String builtIn = ChipCatalogue.defaults().all().get(0).name().toLowerCase();
        assertProblem(post("{\"name\":\"" + builtIn + "\",\"tflops\":1,\"memoryGb\":1,\"memBandwidthTBps\":1,"
                + "\"source\":\"mine\"}"), 409, "name");
    }

    private MvcTestResult post(String body) {
        return mvc.post().uri("/api/v1/chips").contentType(MediaType.APPLICATION_JSON).content(body).exchange();
    }
}
