package io.crosstrain.inventory.api;

import static io.crosstrain.inventory.api.WebSlice.assertProblem;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webmvc.test.autoconfigure.WebMvcTest;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.assertj.MockMvcTester;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

@WebMvcTest
@Import(WebSlice.class)
class NodeControllerTest {

    @Autowired
    MockMvcTester mvc;

    @Test
    void namesTheFieldAtFault() {
        assertProblem(post("{\"datacenter\":\"bj\"}"), 400, "id");
        assertProblem(post("{\"id\":\"Node 1\",\"datacenter\":\"bj\"}"), 400, "id");
        assertProblem(post("{\"id\":\"n1\"}"), 400, "datacenter");
        assertProblem(post("{\"id\":\"n1\",\"datacenter\":\"-bj\"}"), 400, "datacenter");
        assertProblem(post("{\"id\":\"n1\",\"datacenter\":\"bj\",\"gpus\":8}"), 400, "gpus");
    }

    private MvcTestResult post(String body) {
        return mvc.post().uri("/api/v1/nodes").contentType(MediaType.APPLICATION_JSON).content(body).exchange();
    }
}
