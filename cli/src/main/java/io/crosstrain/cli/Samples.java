package io.crosstrain.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import tools.jackson.databind.JsonNode;

/** Text from a trained job, through {@code POST /api/v1/jobs/{id}/generate} (its latest checkpoint). */
final class Samples {

    private Samples() {
    }

    /**
     * Waits (up to a minute) for the job's final checkpoint, then asks for a sample. Null when none came: the last
     * shards can land a moment after the job's last metric.
     */
    static JsonNode generate(ApiClient api, UUID jobId, String prompt, long seed) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (true) {
            ApiClient.Response r = api.post("/api/v1/jobs/" + jobId + "/generate", Map.of("prompt", prompt,
                    "maxTokens", 300, "temperature", 0.8, "topK", 0, "seed", seed));
            if (r.status() == 200) {
                return r.body();
            }
            if (r.status() != 404 || System.nanoTime() > deadline) {
                return null;
            }
            Thread.sleep(1000);
        }
    }

    static void print(ApiClient api, UUID jobId, String prompt, long seed, PrintStream out)
            throws InterruptedException {
        JsonNode s = generate(api, jobId, prompt, seed);
        if (s == null) {
            out.println("  (no sample: the job has no checkpoint to sample from)");
            return;
        }
        out.println("  sample from the checkpoint of step " + s.path("step").asLong() + " (POST /generate):");
        out.println("    " + s.path("text").asString().replace("\n", "\n    "));
    }
}
