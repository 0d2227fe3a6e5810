package io.crosstrain.jobapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.auth.CallerTokens;
import io.crosstrain.auth.ServiceKeys;
import io.crosstrain.contracts.JobCommand;
import io.crosstrain.contracts.JobCommandResult;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.Topics;
import io.crosstrain.jobapi.domain.Fixtures;
import io.crosstrain.testsupport.TestCallers;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Job commands on Kafka are held to the REST rules: each carries a credential, is applied only for the caller it
 * names, and gets a result on job-command-results; a refused one also goes to the dead-letter topic.
 */
class JobApiCommandIntegrationTest extends JobApiIntegrationTestBase {

    static KafkaConsumer<String, String> resultsConsumer;
    static KafkaConsumer<String, String> deadLetters;
    static final List<JobCommandResult> results = new CopyOnWriteArrayList<>();
    static final List<String> dead = new CopyOnWriteArrayList<>();
    static final JsonMapper LENIENT = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    @BeforeAll
    static void consumers() {
        resultsConsumer = consumer(Topics.JOB_COMMAND_RESULTS);
        deadLetters = consumer(Topics.JOB_COMMANDS + Topics.DLT_SUFFIX);
    }

    @AfterAll
    static void close() {
        resultsConsumer.close();
        deadLetters.close();
    }

    /** The result of the one command about {@code jobId} with {@code type}, once it arrived. */
    JobCommandResult resultOf(UUID jobId, String type) {
        JobCommandResult[] found = new JobCommandResult[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            resultsConsumer.poll(Duration.ofMillis(100)).forEach(r -> results.add(
                    LENIENT.readValue(r.value(), JobCommandResult.class)));
            found[0] = results.stream().filter(r -> jobId.equals(r.jobId()) && type.equals(r.type())).findFirst()
                    .orElse(null);
            return found[0] != null;
        });
        return found[0];
    }

    void awaitDeadLetter(UUID jobId) {
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            deadLetters.poll(Duration.ofMillis(100)).forEach(r -> dead.add(r.key()));
            return dead.contains(jobId.toString());
        });
    }

    @Test
    void aCancelWithoutACredentialOrFromAnotherTenantIsRejectedAndTheJobRunsOn() {
        UUID job = submittedAs("acme", "user", Fixtures.spec("commands-acme"), null);

        command(new JobCommand(JobCommand.CANCEL, job, null, "no credential"), (String) null);
        JobCommandResult unsigned = resultOf(job, JobCommand.CANCEL);
        assertThat(unsigned.outcome()).isEqualTo(JobCommandResult.REJECTED);
        assertThat(unsigned.reason()).contains(JobCommand.CREDENTIAL_HEADER);
        awaitDeadLetter(job);

        results.clear();
        command(new JobCommand(JobCommand.CANCEL, job, null, "not mine"), TestCallers.user("globex"));
        JobCommandResult foreign = resultOf(job, JobCommand.CANCEL);
        assertThat(foreign.outcome()).isEqualTo(JobCommandResult.REJECTED);
        assertThat(foreign.reason()).startsWith("jobId: there is no job");
        assertThat(foreign.principal()).isEqualTo("test:globex");

        results.clear();
        String forged = new CallerTokens(ServiceKeys.of(ServiceKeys.generate())).sign(TestCallers.admin());
        command(new JobCommand(JobCommand.CANCEL, job, null, "forged"), forged);
        assertThat(resultOf(job, JobCommand.CANCEL).outcome()).isEqualTo(JobCommandResult.REJECTED);

        results.clear();
        command(new JobCommand(JobCommand.CANCEL, job, null, "an api key, and no gateway to check it"),
                "ctk_never-issued");
        assertThat(resultOf(job, JobCommand.CANCEL).reason()).contains("did not answer");

        assertThat(get("/api/v1/jobs/" + job).path("state").asString()).isEqualTo("PENDING");

        results.clear();
        command(new JobCommand(JobCommand.CANCEL, job, null, "mine"), TestCallers.user("acme"));
        JobCommandResult own = resultOf(job, JobCommand.CANCEL);
        assertThat(own.outcome()).isEqualTo(JobCommandResult.APPLIED);
        assertThat(own.principal()).isEqualTo("test:acme");
        awaitState(job, "CANCELLED");
    }

    @Test
    void onlyTheSchedulerFailsOrSuspendsAJob() {
        UUID job = submitted("commands-fail");
        for (CallerScope sender : List.of(TestCallers.admin(), TestCallers.user("default"),
                CallerScope.service("gpu-worker"))) {
            results.clear();
            command(new JobCommand(JobCommand.FAIL, job, null, "forged failure"), sender);
            JobCommandResult r = resultOf(job, JobCommand.FAIL);
            assertThat(r.outcome()).as(sender.principal()).isEqualTo(JobCommandResult.REJECTED);
            assertThat(r.reason()).contains("only the scheduler");
        }
        assertThat(get("/api/v1/jobs/" + job).path("state").asString()).isEqualTo("PENDING");

        results.clear();
        command(new JobCommand(JobCommand.FAIL, job, null, "cannot be placed"), TestCallers.scheduler());
        assertThat(resultOf(job, JobCommand.FAIL).outcome()).isEqualTo(JobCommandResult.APPLIED);
        awaitState(job, "FAILED");
    }

    @Test
    void aSubmitIsOwnedByItsSendersTenantAndCannotNameAnother() {
        JobSpec base = Fixtures.spec("commands-submit");
        UUID elsewhere = UUID.randomUUID();
        command(new JobCommand(JobCommand.SUBMIT, elsewhere, base.withTenant("globex"), null),
                TestCallers.user("acme"));
        JobCommandResult refused = resultOf(elsewhere, JobCommand.SUBMIT);
        assertThat(refused.outcome()).isEqualTo(JobCommandResult.REJECTED);
        assertThat(refused.reason()).startsWith("tenant:");
        awaitDeadLetter(elsewhere);
        assertThat(mvc.get().uri("/api/v1/jobs/" + elsewhere)).hasStatus(404);

        UUID own = UUID.randomUUID();
        command(new JobCommand(JobCommand.SUBMIT, own, base, null), TestCallers.user("acme"));
        assertThat(resultOf(own, JobCommand.SUBMIT).outcome()).isEqualTo(JobCommandResult.APPLIED);
        assertThat(get("/api/v1/jobs/" + own).path("tenant").asString()).isEqualTo("acme");

        results.clear();
        command(new JobCommand(JobCommand.SUBMIT, own, base, null), TestCallers.user("acme"));
        assertThat(resultOf(own, JobCommand.SUBMIT).outcome()).isEqualTo(JobCommandResult.DUPLICATE);
        results.clear();
        command(new JobCommand(JobCommand.SUBMIT, own, base, null), TestCallers.user("globex"));
        assertThat(resultOf(own, JobCommand.SUBMIT).outcome()).isEqualTo(JobCommandResult.REJECTED);
    }
}
