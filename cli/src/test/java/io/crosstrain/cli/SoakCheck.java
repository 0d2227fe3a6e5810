package io.crosstrain.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

import io.crosstrain.auth.CallerScope;
import io.crosstrain.auth.CallerTokens;
import io.crosstrain.auth.ServiceKeys;
import io.crosstrain.contracts.JobCommand;
import io.crosstrain.contracts.Topics;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * ARCHITECTURE.md §7's soak, on a running stack: fifty short jobs, each on two devices in two datacenters (both relay
 * stages and the WAN in every round), a third of them stopped mid-run (cancelled through REST, or failed by the
 * scheduler's own {@code fail} command); afterwards every relay and worker holds what it held before (plans, open
 * chunks and rounds, buffered bytes, encoder residuals, runs, tracked jobs, hand-overs) and the relays' consumer
 * offsets have reached the end of their topics.
 */
final class SoakCheck {

    static final int JOBS = 50;
    static final int STEPS = 6;
    static final int GLOBAL_BATCH = 16;
    /**
     * Emulated chips ten times faster than the scheduler's calibration makes them for this model (its 4.8 s minimum
     * step): the soak is about what ends, not about pacing, and fifty jobs of half-second steps fit in the build.
     */
    static final double TIME_SCALE = 2e-5;
    private static final Set<String> ENDED = Set.of("SUCCEEDED", "FAILED", "CANCELLED");
    private static final List<String> RELAY_METERS = List.of("relay.jobs", "relay.chunks.open",
            "relay.rounds.open", "relay.buffer.bytes", "relay.encoder.jobs");
    private static final List<String> WORKER_METERS = List.of("worker.runs", "worker.jobs.tracked",
            "worker.handovers.held");

    private final LocalStack stack;
    private final ApiClient api;
    private final JsonMapper json;
    private final PrintStream out;

    SoakCheck(LocalStack stack, ApiClient api, JsonMapper json, PrintStream out) {
        this.stack = stack;
        this.api = api;
        this.json = json;
        this.out = out;
    }

    /** What each job ended as: its state and the step it got to. */
    record Outcome(String state, int step, String stoppedBy) {
    }

    void fiftyJobsLeaveNothingBehind() throws Exception {
        Map<String, Double> baseline = retained();
        out.println("  soak baseline (relays and workers): " + baseline.entrySet().stream()
                .filter(e -> e.getValue() != 0).map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", ", "{", "}")) + " (zeros left out)");

        List<List<String>> lanes = lanes();
        Map<UUID, Integer> jobs = new LinkedHashMap<>();
        for (int i = 0; i < JOBS; i++) {
            jobs.put(submit(i, lanes.get(i % lanes.size())), i);
        }
        out.println("  soak: " + JOBS + " jobs of " + STEPS + " steps submitted on " + lanes.size()
                + " two-datacenter lanes " + lanes);

        Map<UUID, Outcome> outcomes = run(jobs);
        long stopped = outcomes.values().stream().filter(o -> o.stoppedBy() != null
                && !"SUCCEEDED".equals(o.state()) && o.step() < STEPS).count();
        Map<String, Long> byState = outcomes.values().stream()
                .collect(Collectors.groupingBy(Outcome::state, TreeMap::new, Collectors.counting()));
        out.println("  soak: ended " + byState + ", " + stopped + " stopped mid-run");
        outcomes.forEach((job, o) -> {
            if (o.stoppedBy() == null) {
                assertThat(o.state()).as("job %s (never stopped)", job).isEqualTo("SUCCEEDED");
            }
        });
        assertThat(stopped).as("jobs cancelled or failed before their last step").isGreaterThanOrEqualTo(JOBS / 3);

        // the ends reach relays and workers through job-events: give them a moment, then compare
        Map<String, Double> after = null;
        Map<String, Long> lag = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            after = retained();
            lag = relayLag();
            if (after.equals(baseline) && lag.values().stream().allMatch(l -> l == 0)) {
                break;
            }
            Thread.sleep(1000);
        }
        out.println("  soak after: relays and workers hold " + (baseline.equals(after) ? "what they held before"
                : after) + "; relay consumer lag " + lag);
        assertThat(after).as("what relays and workers hold after %d jobs ended", JOBS).isEqualTo(baseline);
        assertThat(lag).as("relay consumer groups: records not yet committed past").allSatisfy((g, l) ->
                assertThat(l).as(g).isZero());
    }

    /** Four lanes of two devices in two datacenters each; no device in two lanes, so lanes run side by side. */
    private List<List<String>> lanes() {
        List<DemoCluster.Datacenter> dcs = stack.options().cluster().datacenters();
        List<List<String>> lanes = new ArrayList<>();
        int perDc = dcs.stream().mapToInt(d -> d.devices().size()).min().orElseThrow();
        for (int k = 0; k < perDc; k++) {
            DemoCluster.Datacenter a = dcs.get(k % dcs.size());
            DemoCluster.Datacenter b = dcs.get((k + 1) % dcs.size());
            lanes.add(List.of(a.devices().get(k).id(), b.devices().get(k).id()));
        }
        return lanes;
    }

    private UUID submit(int i, List<String> devices) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", "soak-" + i);
        spec.put("model", Map.of("layers", 2, "dModel", 96, "heads", 4, "seqLen", 64, "vocabSize", 0));
        spec.put("dataset", Map.of("kind", "bundled", "name", "grammar-en"));
        spec.put("steps", STEPS);
        spec.put("globalBatch", GLOBAL_BATCH);
        spec.put("learningRate", 0.003);
        spec.put("seed", 100 + i);
        spec.put("devices", devices);
        spec.put("hashEvery", 2);
        spec.put("timeScale", TIME_SCALE);
        if (i % 2 == 0) {
            spec.put("strategy", "diloco");
            spec.put("sync", Map.of("h", 2, "codec", "int8", "outerLr", 0.7, "outerMomentum", 0.5));
        }
        return UUID.fromString(api.ok(api.post("/api/v1/jobs", spec), "submit soak-" + i).path("id").asString());
    }

    /**
     * Follows every job to its end; jobs {@code i % 3 == 0} are stopped once they run past their first step:
     * alternately cancelled through REST and failed with the scheduler's own {@code fail} command on Kafka.
     */
    private Map<UUID, Outcome> run(Map<UUID, Integer> jobs) throws Exception {
        Map<UUID, Outcome> ended = new HashMap<>();
        Map<UUID, String> stopped = new HashMap<>();
        ProgressBar bar = new ProgressBar(out, "  soak");
        CallerTokens scheduler = new CallerTokens(ServiceKeys.fromFile(stack.serviceKeysFile()));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(stack.kafkaClient(),
                new StringSerializer(), new StringSerializer())) {
            long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
            while (ended.size() < jobs.size()) {
                assertThat(System.nanoTime()).as("all %d soak jobs ended within 15 min; %d did", jobs.size(),
                        ended.size()).isLessThan(deadline);
                // one listing per sweep: a request per job would run into the gateway's rate limit
                Map<UUID, JsonNode> listed = new HashMap<>();
                for (JsonNode j : api.ok(api.get("/api/v1/jobs?limit=" + (2 * JOBS)), "soak jobs")) {
                    listed.put(UUID.fromString(j.path("id").asString()), j);
                }
                for (Map.Entry<UUID, Integer> e : jobs.entrySet()) {
                    UUID id = e.getKey();
                    JsonNode job = listed.get(id);
                    if (ended.containsKey(id) || job == null) {
                        continue;
                    }
                    String state = job.path("state").asString();
                    int step = job.path("step").asInt();
                    if (ENDED.contains(state)) {
                        ended.put(id, new Outcome(state, step, stopped.get(id)));
                        bar.update(ended.size(), jobs.size(), "jobs ended");
                        continue;
                    }
                    int i = e.getValue();
                    if (i % 3 == 0 && !stopped.containsKey(id) && "RUNNING".equals(state) && step >= 1) {
                        if ((i / 3) % 2 == 0) {
                            api.ok(api.post("/api/v1/jobs/" + id + "/cancel", Map.of()), "cancel soak-" + i);
                            stopped.put(id, "cancel");
                        } else {
                            String command = json.writeValueAsString(new JobCommand(JobCommand.FAIL, id, null,
                                    "soak: failed at step " + step));
                            ProducerRecord<String, String> r = new ProducerRecord<>(Topics.JOB_COMMANDS,
                                    id.toString(), command);
                            r.headers().add(JobCommand.CREDENTIAL_HEADER, scheduler.sign(CallerScope.service(
                                    "scheduler")).getBytes(StandardCharsets.UTF_8));
                            producer.send(r).get(30, TimeUnit.SECONDS);
                            stopped.put(id, "fail");
                        }
                    }
                }
                Thread.sleep(300);
            }
            bar.finish();
        }
        return ended;
    }

    /** Every relay's and worker's retained-state gauges, by service and meter (summed over a relay's stages). */
    private Map<String, Double> retained() {
        Map<String, Double> out = new TreeMap<>();
        for (ServiceProcess s : stack.services()) {
            List<String> meters = s.name().startsWith("relay-") ? RELAY_METERS
                    : s.name().startsWith("worker-") ? WORKER_METERS : List.of();
            ApiClient client = stack.service(s.port(), json);
            for (String meter : meters) {
                JsonNode m = client.ok(client.get("/actuator/metrics/" + meter), s.name() + " " + meter);
                double value = 0;
                for (JsonNode measurement : m.path("measurements")) {
                    value += measurement.path("value").asDouble();
                }
                out.put(s.name() + " " + meter, value);
            }
        }
        return out;
    }

    /** Per relay consumer group (grad-up and grad-wan stages): records after its committed offsets. */
    private Map<String, Long> relayLag() throws Exception {
        Map<String, Long> lag = new TreeMap<>();
        try (Admin admin = Admin.create(stack.kafkaClient())) {
            for (DemoCluster.Datacenter dc : stack.options().cluster().datacenters()) {
                lag.put("relay-" + dc.id() + "-up", lag(admin, "relay-" + dc.id() + "-up", Topics.gradUp(dc.id())));
                lag.put("relay-" + dc.id(), lag(admin, "relay-" + dc.id(), Topics.GRAD_WAN));
            }
        }
        return lag;
    }

    private static long lag(Admin admin, String group, String topic) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions()
                .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        long behind = 0;
        for (var e : admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).entrySet()) {
            OffsetAndMetadata at = committed.get(e.getKey());
            behind += e.getValue().offset() - (at == null ? 0 : at.offset());
        }
        return behind;
    }
}
