package io.crosstrain.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

import org.slf4j.LoggerFactory;
import org.springframework.boot.logging.LoggingSystem;

import io.crosstrain.bench.relay.ClientMetrics;
import io.crosstrain.bench.relay.DownCheck;
import io.crosstrain.bench.relay.GradientWorkload;
import io.crosstrain.bench.relay.GradientWorkload.Up;
import io.crosstrain.bench.relay.InProcessRelay;
import io.crosstrain.bench.relay.KafkaPasses;
import io.crosstrain.bench.relay.PassTiming;
import io.crosstrain.bench.relay.RelayReport;
import io.crosstrain.contracts.Topics;
import io.crosstrain.localinfra.LocalKafka;
import io.crosstrain.relay.messaging.RelayMetrics;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gradient relay's aggregation throughput against raw Kafka produce + consume of the same bytes, on one
 * in-process KRaft broker in one run. The relay is the real service, started in this JVM for one datacenter under a
 * plan whose cross-DC stage has only that datacenter, so it completes rounds on its own. Passes alternate (raw,
 * relay, raw, relay ...) after uncounted warm-up pairs, and the medians are compared. A raw pass is timed until its
 * consumer read the last record; a relay pass until grad-down holds the last average (the relay consumed, summed and
 * published everything), or with {@code --timed-readback} until a consumer read that back as well. Every relay pass
 * is checked after its clock stopped: each round's average arrived exactly once and bit for bit as expected.
 */
@Command(name = "relay", mixinStandardHelpOptions = true,
        description = "gradient relay aggregation throughput vs raw Kafka on the same broker")
public final class RelayBench implements Callable<Integer> {

    @Option(names = "--senders", defaultValue = "8", description = "node senders (one producer each): the relay's "
            + "fan-in. It sends one average per chunk for all of them, so the broker stores 1/senders more bytes")
    int senders;

    @Option(names = "--chunks", defaultValue = "8", description = "512 KiB chunks per sender per round")
    int chunks;

    @Option(names = "--rounds", defaultValue = "16", description = "rounds per counted pass")
    int rounds;

    @Option(names = "--warmup-rounds", defaultValue = "16", description = "rounds of each uncounted warm-up pair")
    int warmupRounds;

    @Option(names = "--warmup-pairs", defaultValue = "20", description = "uncounted raw + relay pairs first: "
            + "broker, clients and relay share this JVM, and code that runs once per 512 KiB record or once per "
            + "round needs thousands of calls before the JIT compiles it; with fewer pairs the JIT still takes a "
            + "tenth or more of the CPU in counted passes")
    int warmupPairs;

    @Option(names = "--repeats", defaultValue = "9", description = "counted passes of each kind, alternating")
    int repeats;

    @Option(names = "--timeout-ms", defaultValue = "120000", description = "longest a single pass may take")
    long timeoutMillis;

    @Option(names = "--relay-arg", description = "extra --name=value argument for the relay (repeatable)")
    List<String> relayArgs = new ArrayList<>();

    @Option(names = "--timed-readback", description = "stop a relay pass's clock when a consumer has read the "
            + "averages back, not when grad-down holds them")
    boolean timedReadback;

    @Option(names = "--profile", description = "also print every Kafka client's fetch and produce figures")
    boolean profile;

    @Option(names = "--out", defaultValue = "${sys:crosstrain.home:-.}/target/bench/relay.json")
    Path out;

    private final JsonMapper mapper = JsonMapper.builder().build();

    @Override
    public Integer call() throws Exception {
        if (senders < 1 || chunks < 1 || rounds < 1 || warmupRounds < 0 || warmupPairs < 0 || repeats < 1) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "need senders, chunks, rounds, repeats >= 1 and warmup-rounds, warmup-pairs >= 0");
        }
        quietLogs();
        long started = System.nanoTime();
        GradientWorkload workload = new GradientWorkload(UUID.randomUUID(), senders, chunks, 42);
        List<PassTiming> timings = new ArrayList<>();
        int totalPasses = 2 * ((warmupRounds > 0 ? warmupPairs : 0) + repeats);
        Runnable passDone = () -> System.err.printf(Locale.ROOT, "relay bench [%4.0fs] %d of %d passes done%n",
                (System.nanoTime() - started) / 1e9, timings.size(), totalPasses);
        try (LocalKafka kafka = LocalKafka.start(KafkaPasses.BROKER);
             InProcessRelay relay = InProcessRelay.start(kafka.bootstrapServers(), GradientWorkload.DATACENTER,
                     relayArgs);
             KafkaPasses passes = new KafkaPasses(kafka.bootstrapServers(), senders, timeoutMillis)) {
            passes.publishJson(Topics.PLANS, workload.jobId().toString(),
                    relay.json().writeValueAsString(workload.plan()));
            relay.awaitPlan(workload.jobId(), 1, 60_000);

            long[] nextRound = {1};
            for (int i = 0; warmupRounds > 0 && i < warmupPairs; i++) {
                timings.add(rawPass(passes, workload, nextRound, warmupRounds, true));
                passDone.run();
                timings.add(relayPass(passes, relay, workload, nextRound, warmupRounds, true, timedReadback));
                passDone.run();
            }
            for (int i = 0; i < repeats; i++) {
                timings.add(rawPass(passes, workload, nextRound, rounds, false));
                passDone.run();
                timings.add(relayPass(passes, relay, workload, nextRound, rounds, false, timedReadback));
                passDone.run();
            }

            RelayReport report = new RelayReport(new RelayReport.Shape(senders, chunks, rounds, warmupPairs,
                    warmupRounds, workload.recordBytes(0), workload.upBytesPerRound() * rounds, timedReadback),
                    timings);
            report.table().forEach(System.out::println);
            double duplicates = relay.counter(RelayMetrics.DUPLICATES, "intra-dc")
                    + relay.counter(RelayMetrics.DUPLICATES, "cross-dc");
            System.out.println(String.format(Locale.ROOT, "  every relay pass verified: each round's average "
                    + "arrived exactly once, bit for bit as expected (relay saw %.0f duplicate inputs)", duplicates));
            if (profile) {
                System.out.println("  Kafka clients over the whole run (both kinds of pass, warm-up included):");
                ClientMetrics.describe().forEach(System.out::println);
            }
            Map<String, Object> json = report.json();
            json.put("verified", true);
            json.put("relayArgs", relayArgs);
            json.put("benchSeconds", (System.nanoTime() - started) / 1e9);
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, mapper.writeValueAsString(json));
            System.out.println("  wrote " + out.toAbsolutePath().normalize() + String.format(Locale.ROOT,
                    " (%.0f s in all)", (System.nanoTime() - started) / 1e9));
        }
        return 0;
    }

    private static PassTiming rawPass(KafkaPasses passes, GradientWorkload w, long[] nextRound, int n,
                                      boolean warmup) throws Exception {
        List<List<Up>> records = encode(w, nextRound, n);
        settle();
        return passes.raw(records, warmup);
    }

    private static PassTiming relayPass(KafkaPasses passes, InProcessRelay relay, GradientWorkload w,
                                        long[] nextRound, int n, boolean warmup, boolean timedReadback)
            throws Exception {
        long first = nextRound[0];
        List<List<Up>> records = encode(w, nextRound, n);
        DownCheck check = new DownCheck(w, first, n);
        settle();
        PassTiming t = passes.relay(records, check, relay::deliveredDown, warmup, timedReadback);
        List<String> problems = check.verify();
        if (!problems.isEmpty()) {
            throw new IllegalStateException("relay output is wrong (" + problems.size() + " problems), e.g. "
                    + problems.subList(0, Math.min(5, problems.size())));
        }
        return t;
    }

    /** Fresh rounds for every pass: the relay remembers completed rounds and would ignore repeated ones. */
    private static List<List<Up>> encode(GradientWorkload w, long[] nextRound, int n) {
        List<List<Up>> bySender = new ArrayList<>();
        for (int s = 0; s < w.senders(); s++) {
            bySender.add(w.encode(s, nextRound[0], n));
        }
        nextRound[0] += n;
        return bySender;
    }

    /** Garbage of the previous pass and of encoding is collected before the clock starts, for both kinds alike. */
    private static void settle() throws InterruptedException {
        System.gc();
        Thread.sleep(300);
    }

    /**
     * The broker would log at DEBUG (logback's default before Spring Boot configures it) to the console the table
     * goes to; Kafka's start-up and shut-down warnings of an in-process test broker are noise here too. The relay's
     * Spring Boot must leave this set-up alone: re-initialising logback under a running broker drops its events.
     */
    private static void quietLogs() {
        System.setProperty(LoggingSystem.SYSTEM_PROPERTY, LoggingSystem.NONE);
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING); // Tomcat logs through JUL
        if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                instanceof ch.qos.logback.classic.Logger root) {
            root.setLevel(ch.qos.logback.classic.Level.WARN);
            root.getLoggerContext().getLogger("org.apache.kafka").setLevel(ch.qos.logback.classic.Level.ERROR);
            root.getLoggerContext().getLogger("kafka").setLevel(ch.qos.logback.classic.Level.ERROR);
            // a KRaft broker reports each partition it creates as "expected ... to exist" at ERROR
            root.getLoggerContext().getLogger("state.change.logger").setLevel(ch.qos.logback.classic.Level.OFF);
            root.getLoggerContext().getLogger("org.springdoc").setLevel(ch.qos.logback.classic.Level.ERROR);
        }
    }
}
