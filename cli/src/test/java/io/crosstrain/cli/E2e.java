package io.crosstrain.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

import tools.jackson.databind.JsonNode;

/** What the end-to-end tests share: waiting for a job, a PUT, and a tee of the build log. */
final class E2e {

    private E2e() {
    }

    /** Stops the stack (if it started) and drops the test's own database. */
    static void stop(LocalStack stack, String database) {
        try {
            if (stack != null) {
                stack.close();
            }
        } finally {
            io.crosstrain.localinfra.LocalPostgres.dropDatabase(
                    io.crosstrain.localinfra.LocalPostgres.LOCAL_ADMIN_URL, "postgres", "", database);
            io.crosstrain.localinfra.ServiceRoles.drop(io.crosstrain.localinfra.LocalPostgres.LOCAL_ADMIN_URL,
                    "postgres", "", database, LocalStack.SCHEMAS.values());
        }
    }

    static JsonNode awaitJob(ApiClient api, UUID jobId, Predicate<JsonNode> done, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode job = api.ok(api.get("/api/v1/jobs/" + jobId), "job");
            if (done.test(job)) {
                return job;
            }
            String state = job.path("state").asString();
            if (List.of("FAILED", "CANCELLED").contains(state) || System.nanoTime() > deadline) {
                throw new AssertionError("job " + jobId + " is " + state + " (" + job.path("reason").asString()
                        + ") at step " + job.path("step").asInt());
            }
            Thread.sleep(500);
        }
    }

    static JsonNode awaitEnd(ApiClient api, UUID jobId, Duration timeout) throws InterruptedException {
        return awaitJob(api, jobId, j -> List.of("SUCCEEDED", "FAILED", "CANCELLED")
                .contains(j.path("state").asString()), timeout);
    }

    /** Shows the output live in the build log and keeps a copy to assert on. */
    static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
