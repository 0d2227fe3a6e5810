package io.crosstrain.inventory.api;

import static io.crosstrain.inventory.api.WebSlice.assertProblem;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.assertj.MockMvcTester;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

/** Web slice: every malformed link is refused with a problem naming the field, before the database. */
@WebMvcTest
@Import(WebSlice.class)
class LinkControllerTest {

    @Autowired
    MockMvcTester mvc;

    @Test
    void requiresBothEndsAndTheFigures() {
        assertProblem(post("{\"to\":\"sh\",\"gbps\":10,\"latencyMs\":30}"), 400, "from");
        assertProblem(post("{\"from\":\"bj\",\"gbps\":10,\"latencyMs\":30}"), 400, "to");
        assertProblem(post("{\"from\":\"bj\",\"to\":\"sh\",\"latencyMs\":30}"), 400, "gbps");
        assertProblem(post("{\"from\":\"bj\",\"to\":\"sh\",\"gbps\":10}"), 400, "latencyMs");
    }

    @Test
    void refusesBadValues() {
        assertProblem(post("{\"from\":\"BJ!\",\"to\":\"sh\",\"gbps\":10,\"latencyMs\":30}"), 400, "from");
        assertProblem(post("{\"from\":\"bj\",\"to\":\"bj\",\"gbps\":10,\"latencyMs\":30}"), 400, "to");
        assertProblem(post("{\"from\":\"bj\",\"to\":\"sh\",\"gbps\":0,\"latencyMs\":30}"), 400, "gbps");
        assertProblem(post("{\"from\":\"bj\",\"to\":\"sh\",\"gbps\":-3,\"latencyMs\":30}"), 400, "gbps");
        // 1e999 reads as infinity
        assertProblem(post("{\"from\":\"bj\",\"to\":\"sh\",\"gbps\":1e999,\"latencyMs\":30}"), 400, "gbps");
        assertProblem(post("{\"from\":\"bj\",\"to\":\"sh\",\"gbps\":10,\"latencyMs\":-1}"), 400, "latencyMs");
        assertProblem(post("{\"from\":\"bj\",\"to\":\"sh\",\"gbps\":\"fast\",\"latencyMs\":1}"), 400, "gbps");
        assertProblem(post("{\"from\":\"bj\",\"to\":\"sh\",\"gbps\":1,\"latencyMs\":1,\"mtu\":9000}"), 400, "mtu");
    }

    private MvcTestResult post(String body) {
        return mvc.post().uri("/api/v1/links").contentType(MediaType.APPLICATION_JSON).content(body).exchange();
    }
}
