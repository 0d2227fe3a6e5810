package io.crosstrain.jobapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.assertj.MvcTestResult;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.contracts.Topics;
import io.crosstrain.jobapi.domain.Fixtures;

/** What clients of the REST API see: tenants, cancelling, idempotent retries, pages, the event stream. */
class JobApiClientIntegrationTest extends JobApiIntegrationTestBase {

    @Test
    void aUserSeesCancelsAndReadsOnlyItsOwnTenantsJobs() {
        UUID acme = submittedAs("acme", "user", Fixtures.spec("acme-job"), null);
        UUID globex = submittedAs("globex", "user", Fixtures.spec("globex-job"), null);
        publish(Topics.PLANS, globex, json.writeValueAsString(Fixtures.plan(globex, Plan.EMULATED, 50.0)));
        awaitState(globex, "SCHEDULED");
        assertThat(get("/api/v1/jobs/" + acme).path("tenant").asString()).isEqualTo("acme");

        MvcTestResult list = as(mvc.get().uri("/api/v1/jobs?limit=1000"), "acme", "user").exchange();
        assertThat(list).hasStatusOk();
        assertThat(top(body(list), "tenant")).containsOnly("acme");
        assertThat(top(body(list), "id")).contains(acme.toString()).doesNotContain(globex.toString());

        for (String path : List.of("", "/history", "/plan", "/metrics", "/report", "/events")) {
            assertProblem(as(mvc.get().uri("/api/v1/jobs/" + globex + path), "acme", "user").exchange(), 404);
        }
        assertProblem(as(mvc.post().uri("/api/v1/jobs/" + globex + "/cancel"), "acme", "user").exchange(), 404);
        assertThat(get("/api/v1/jobs/" + globex).path("state").asString()).isEqualTo("SCHEDULED");

        // the owner and an admin may
        assertThat(as(mvc.get().uri("/api/v1/jobs/" + globex + "/plan"), "globex", "user").exchange())
                .hasStatusOk();
        MvcTestResult all = as(mvc.get().uri("/api/v1/jobs?limit=1000"), "system", "admin").exchange();
        assertThat(top(body(all), "id")).contains(acme.toString(), globex.toString());

        // a user cannot put a job into another tenant, nor list another tenant's
        JobSpec foreign = Fixtures.spec("foreign").withTenant("globex");
        MvcTestResult refused = as(mvc.post().uri("/api/v1/jobs").contentType(MediaType.APPLICATION_JSON)
                .content(json.writeValueAsString(foreign)), "acme", "user").exchange();
        assertThat(assertProblem(refused, 422).path("field").asString()).isEqualTo("tenant");
        assertThat(assertProblem(as(mvc.get().uri("/api/v1/jobs?tenant=globex"), "acme", "user").exchange(), 400)
                .path("field").asString()).isEqualTo("tenant");
    }

    @Test
    void restCancelStopsAPendingJobAtOnceAndAPlannedOneThroughCancelling() {
        UUID pending = submittedAs("acme", "user", Fixtures.spec("cancel-pending"), null);
        MvcTestResult cancelled = as(mvc.post().uri("/api/v1/jobs/" + pending + "/cancel")
                .contentType(MediaType.APPLICATION_JSON).content("{\"reason\":\"wrong data\"}"), "acme", "user")
                .exchange();
        assertThat(cancelled).hasStatus(202);
        assertThat(body(cancelled).path("state").asString()).isEqualTo("CANCELLED");
        assertThat(body(cancelled).path("reason").asString()).isEqualTo("wrong data");
        assertThat(assertProblem(mvc.post().uri("/api/v1/jobs/" + pending + "/cancel").exchange(), 409)
                .path("field").asString()).isEqualTo("state");

        UUID planned = submitted("cancel-planned");
        publish(Topics.PLANS, planned, json.writeValueAsString(Fixtures.plan(planned, Plan.EMULATED, 50.0)));
        awaitState(planned, "SCHEDULED");
        MvcTestResult cancelling = mvc.post().uri("/api/v1/jobs/" + planned + "/cancel").exchange();
        assertThat(cancelling).hasStatus(202);
        assertThat(body(cancelling).path("state").asString()).isEqualTo("CANCELLING");
        // again: still cancelling, no second transition
        assertThat(mvc.post().uri("/api/v1/jobs/" + planned + "/cancel").exchange()).hasStatus(202);
        assertThat(awaitEvent(e -> e.jobId().equals(planned) && e.state() == JobState.CANCELLING)).isNotNull();
        // the workers stop and report their last step: the job is cancelled, not succeeded
        for (StepMetric m : Fixtures.threeSteps(planned)) {
            publish(Topics.STEP_METRICS, planned, json.writeValueAsString(m));
        }
        awaitState(planned, "CANCELLED");
        assertThat(get("/api/v1/jobs/" + planned + "/history").findValuesAsString("to"))
                .containsSubsequence("PENDING", "SCHEDULED", "CANCELLING", "CANCELLED")
                .containsOnlyOnce("CANCELLING");
    }

    @Test
    void anIdempotencyKeyMakesARetriedSubmitReturnTheFirstJob() {
        String key = "retry-" + UUID.randomUUID();
        MvcTestResult first = submitAs("acme", "user", Fixtures.spec("idem"), key);
        MvcTestResult again = submitAs("acme", "user", Fixtures.spec("idem"), key);
        assertThat(first).hasStatus(201).headers().hasValue("Idempotent-Replayed", "false");
        assertThat(again).hasStatus(201).headers().hasValue("Idempotent-Replayed", "true");
        String id = body(first).path("id").asString();
        assertThat(body(again).path("id").asString()).isEqualTo(id);
        assertThat(jdbc.sql("select count(*) from job_api.jobs where idempotency_key = :k").param("k", key)
                .query(Long.class).single()).isEqualTo(1);

        long before = rows();
        MvcTestResult changed = submitAs("acme", "user", Fixtures.spec("idem-other"), key);
        assertThat(assertProblem(changed, 422).path("field").asString()).isEqualTo("Idempotency-Key");
        assertThat(assertProblem(submitAs("acme", "user", Fixtures.spec("idem"), "has spaces"), 400)
                .path("field").asString()).isEqualTo("Idempotency-Key");
        assertThat(rows()).isEqualTo(before);

        // keys are per tenant
        MvcTestResult otherTenant = submitAs("globex", "user", Fixtures.spec("idem"), key);
        assertThat(otherTenant).hasStatus(201);
        assertThat(body(otherTenant).path("id").asString()).isNotEqualTo(id);
    }

    @Test
    void listsPageThroughJobsWithATotalAndANextLink() {
        String tenant = "pager-" + UUID.randomUUID().toString().substring(0, 8);
        for (int i = 0; i < 5; i++) {
            submittedAs(tenant, "user", Fixtures.spec("page-" + i), null);
        }
        MvcTestResult first = as(mvc.get().uri("/api/v1/jobs?limit=2"), tenant, "user").exchange();
        assertThat(first).hasStatusOk().headers().hasValue("X-Total-Count", "5")
                .hasValue("Link", "</api/v1/jobs?limit=2&offset=2>; rel=\"next\"");
        assertThat(top(body(first), "name")).containsExactly("page-4", "page-3");
        MvcTestResult last = as(mvc.get().uri("/api/v1/jobs?limit=2&offset=4"), tenant, "user").exchange();
        assertThat(top(body(last), "name")).containsExactly("page-0");
        assertThat(last).headers().doesNotContainHeader("Link");
        assertThat(assertProblem(mvc.get().uri("/api/v1/jobs?limit=0").exchange(), 400).path("field").asString())
                .isEqualTo("limit");
        assertThat(assertProblem(mvc.get().uri("/api/v1/jobs?offset=-1").exchange(), 400).path("field").asString())
                .isEqualTo("offset");
    }

    @Test
    void theEventStreamTellsEveryStateChangeAndEndsWithTheTerminalOne() throws Exception {
        UUID id = submitted("events-test");
        mvc.post().uri("/api/v1/jobs/" + id + "/cancel").exchange();
        MvcTestResult stream = mvc.get().uri("/api/v1/jobs/" + id + "/events").accept(MediaType.TEXT_EVENT_STREAM)
                .exchange(Duration.ofSeconds(20));
        assertThat(stream).hasStatusOk();
        String text = stream.getResponse().getContentAsString();
        assertThat(text).contains("event:state", "event:progress", "event:end");
        assertThat(text.indexOf("\"to\":\"PENDING\"")).isPositive()
                .isLessThan(text.indexOf("\"to\":\"CANCELLED\""));
        assertThat(text.substring(text.indexOf("event:end"))).contains("\"state\":\"CANCELLED\"");
    }
}
