package io.crosstrain.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** {@code ./crosstrain bench api}: load on the REST API of a running stack; see {@link ApiBench}. */
@Command(name = "api", description = "Many clients submit jobs with Idempotency-Keys through the gateway of a "
        + "running stack and read them back: lost, duplicated, latency. Writes target/bench/api.json.")
final class ApiBenchCommand implements Callable<Integer> {

    @Mixin
    GatewayOptions gateway = new GatewayOptions();

    @Option(names = "--clients", defaultValue = "100", description = "concurrent clients (default 100)")
    int clients;

    @Option(names = "--jobs", defaultValue = "1000", description = "jobs to submit in all (default 1000)")
    int jobs;

    @Option(names = "--repeat", defaultValue = "0.1", description = "share of submits sent twice (default 0.1)")
    double repeat;

    @Option(names = "--rate", defaultValue = "20",
            description = "submits per second of all clients together (default 20; this 2-core machine with the "
                    + "whole stack on it completes about 40 a second)")
    double rate;

    @Option(names = "--seed", defaultValue = "7", description = "which submits are repeated")
    long seed;

    @Option(names = "--p99-goal-ms", defaultValue = "200", description = "exit 1 when the p99 is above (200)")
    double p99Goal;

    @Option(names = "--out", defaultValue = "target/bench/api.json")
    Path out;

    @Override
    public Integer call() throws Exception {
        JsonMapper json = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
        ApiBench.Result r = new ApiBench(gateway.client(json), json, System.out).run(clients, jobs, repeat, rate, seed);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, json.writeValueAsString(r));
        boolean exact = r.lost() == 0 && r.duplicated() == 0 && r.mismatched() == 0 && r.errors() == 0;
        System.out.printf("  %s; p99 %.1f ms against the goal of %.0f ms; %s%n", exact ? "every job exactly once"
                : "NOT every job exactly once", r.p99Ms(), p99Goal, out);
        return exact && r.p99Ms() <= p99Goal ? 0 : 1;
    }

    /** {@code bench} in the CLI holds what needs a running stack; the other benches are in the bench jar. */
    @Command(name = "bench", description = "Benchmarks against a running stack (api).",
            subcommands = ApiBenchCommand.class)
    static final class Group implements Callable<Integer> {
        @Override
        public Integer call() {
            new picocli.CommandLine(this).usage(System.out);
            return 0;
        }
    }
}
