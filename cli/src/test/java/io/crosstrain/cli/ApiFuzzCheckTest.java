package io.crosstrain.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** How ApiFuzzCheck sorts a Newman report, on executions shaped like the ones Newman's JSON reporter writes. */
class ApiFuzzCheckTest {

    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void aServerErrorAndAnAnswerOutsideItsSchemaFailTheCheckAndAnUnexpectedStatusDoesNot() {
        JsonNode run = run(
                execution("Get one job", "GET", 200, "{}", "[GET]::/api/v1/jobs/:id - Status code is 2xx", null),
                execution("Get one job[unknown id]", "GET", 500, "{\"title\":\"Internal Server Error\"}",
                        "[GET]::/api/v1/jobs/:id - Response status code is 404", "expected 500 to equal 404"),
                execution("List jobs", "GET", 200, "[{\"from\":null}]",
                        "[GET]::/api/v1/jobs - Schema is valid",
                        "expected data to satisfy schema but found following errors: \ndata[0].from should be string"),
                execution("Register a node[empty body]", "POST", 201, "{}",
                        "[POST]::/api/v1/nodes - Response status code is 400", "expected 201 to equal 400"));
        ApiFuzzCheck.DocumentResult d = ApiFuzzCheck.read("job-api", 3, 0, run);

        assertThat(d.requests()).isEqualTo(4);
        assertThat(d.statusClasses()).containsEntry("2xx", 3).containsEntry("5xx", 1);
        assertThat(d.serverErrors()).singleElement().satisfies(f -> {
            assertThat(f.operation()).isEqualTo("/api/v1/jobs/{id}");
            assertThat(f.variation()).isEqualTo("unknown id");
            assertThat(f.url()).isEqualTo("http://127.0.0.1:18080/api/v1/jobs/x?limit=5");
            assertThat(f.response()).contains("Internal Server Error");
        });
        assertThat(d.schemaFailures()).singleElement()
                .satisfies(f -> assertThat(f.detail()).isEqualTo("data[0].from should be string"));
        assertThat(d.unexpectedStatuses()).singleElement().satisfies(f -> {
            assertThat(f.status()).isEqualTo(201);
            assertThat(f.detail()).isEqualTo("expected 400");
        });

        ApiFuzzCheck.Result result = new ApiFuzzCheck.Result("http://127.0.0.1:18080", 1, List.of(d));
        assertThatThrownBy(() -> result.assertClean(Path.of("report.json")))
                .hasMessageContaining("1 5xx or unanswered, 1 answers outside their schema")
                .hasMessageContaining("GET /api/v1/jobs/{id} [unknown id] -> HTTP 500")
                .hasMessageContaining("data[0].from should be string");
    }

    @Test
    void aRequestWithoutAnAnswerCountsAsAServerError() {
        ObjectNode e = execution("Get one job", "GET", 0, "", "[GET]::/api/v1/jobs/:id - Status code is 2xx",
                "expected response code to be 2XX");
        e.remove("response");
        e.putObject("requestError").put("message", "ESOCKETTIMEDOUT");
        ApiFuzzCheck.DocumentResult d = ApiFuzzCheck.read("job-api", 1, 0, run(e));
        assertThat(d.statusClasses()).containsEntry("none", 1);
        assertThat(d.serverErrors()).singleElement()
                .satisfies(f -> assertThat(f.detail()).isEqualTo("no response: ESOCKETTIMEDOUT"));
    }

    @Test
    void springdocsAnyMediaTypeBecomesJsonInPortmansCopyOnly() {
        ObjectNode doc = (ObjectNode) json.readTree("{\"paths\":{\"/a\":{\"get\":{\"responses\":{\"200\":"
                + "{\"content\":{\"*/*\":{\"schema\":{\"type\":\"string\"}}}}}},\"parameters\":[]}}}");
        ObjectNode copy = ApiFuzzCheck.jsonMediaTypes(doc);
        assertThat(copy.at("/paths/~1a/get/responses/200/content").propertyNames()).containsExactly("application/json");
        assertThat(doc.at("/paths/~1a/get/responses/200/content").propertyNames()).containsExactly("*/*");
        assertThat(ApiFuzzCheck.operations(doc)).isEqualTo(1);
    }

    private JsonNode run(JsonNode... executions) {
        ObjectNode root = json.createObjectNode();
        ArrayNode list = root.putObject("run").putArray("executions");
        for (JsonNode e : executions) {
            list.add(e);
        }
        return root;
    }

    private ObjectNode execution(String item, String method, int status, String body, String assertion,
                                 String error) {
        ObjectNode e = json.createObjectNode();
        e.putObject("item").put("name", item);
        ObjectNode request = e.putObject("request");
        request.put("method", method);
        ObjectNode url = request.putObject("url");
        url.put("protocol", "http").put("port", "18080");
        ArrayNode host = url.putArray("host");
        List.of("127", "0", "0", "1").forEach(host::add);
        ArrayNode path = url.putArray("path");
        List.of("api", "v1", "jobs", "x").forEach(path::add);
        url.putArray("query").addObject().put("key", "limit").put("value", "5");
        ObjectNode response = e.putObject("response");
        response.put("code", status);
        ArrayNode data = response.putObject("stream").put("type", "Buffer").putArray("data");
        for (byte b : body.getBytes(StandardCharsets.UTF_8)) {
            data.add(b & 0xff);
        }
        ObjectNode a = e.putArray("assertions").addObject().put("assertion", assertion);
        if (error != null) {
            a.putObject("error").put("message", error);
        }
        return e;
    }
}
