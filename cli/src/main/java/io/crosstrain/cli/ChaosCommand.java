package io.crosstrain.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;

import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./crosstrain chaos --minutes N}: see {@link Chaos}. Exits 1 when a check fails. */
@Command(name = "chaos", description = "Kill and restart every part of a running stack (seeded) while a sync-DP and "
        + "a DiLoCo job train; check both against an undisturbed run. Writes target/chaos/report.json.")
final class ChaosCommand implements Callable<Integer> {

    @Option(names = "--minutes", defaultValue = "3", description = "how long faults are injected")
    double minutes;

    @Option(names = "--seed", description = "the fault schedule's seed (default: random, printed)")
    Long seed;

    @Option(names = "--steps", description = "steps of each job (default: enough to outlast the fault window)")
    Integer steps;

    @Option(names = "--port-base", defaultValue = "18280", description = "first of the stack's ports")
    int portBase;

    @Option(names = "--postgres-port", defaultValue = "55432", description = "port of chaos's own PostgreSQL cluster")
    int postgresPort;

    @Option(names = "--home", defaultValue = "${sys:crosstrain.home:-.}", description = "repository root")
    Path home;

    /** Emulated steps of the chaos model per minute under faults, measured: the jobs outlast the fault window. */
    static final double STEPS_PER_MINUTE = 16;

    @Override
    public Integer call() throws Exception {
        Path root = home.toAbsolutePath().normalize();
        long s = seed != null ? seed : new java.security.SecureRandom().nextLong() & Long.MAX_VALUE;
        int n = steps != null ? steps : defaultSteps(minutes);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        out.println("CrossTrain chaos: seed " + s + " (rerun with --seed " + s + "), " + minutes + " min of faults, "
                + n + " steps per job, devices emulated on this CPU");
        Report written = run(root, s, Duration.ofSeconds((long) (minutes * 60)), n, portBase, postgresPort, out);
        return written.passed() ? 0 : 1;
    }

    /** Enough steps (a multiple of DiLoCo's H = 4) for the jobs to outlast {@code minutes} of faults. */
    static int defaultSteps(double minutes) {
        return Math.max(8, (int) Math.ceil(minutes * STEPS_PER_MINUTE / 4) * 4);
    }

    record Report(Chaos.Report report, Path file) {
        boolean passed() {
            return report.passed();
        }
    }

    /** Starts chaos's own PostgreSQL and a three-broker stack, runs {@link Chaos}, writes the report, stops it all. */
    static Report run(Path root, long seed, Duration window, int steps, int portBase, int postgresPort,
                      PrintStream out) throws Exception {
        String database = "crosstrain_chaos";
        Path work = root.resolve(".crosstrain/chaos");
        Path file = root.resolve("target/chaos/report.json");
        try (ChaosPostgres postgres = ChaosPostgres.create(postgresPort, database)) {
            LocalStack.Options options = new LocalStack.Options(root, 0, portBase, database, work, Chaos.cluster(),
                    Map.of("DB_URL", postgres.url(database), "CROSSTRAIN_INVENTORY_SUSPECTAFTER", "4s",
                            "CROSSTRAIN_INVENTORY_DOWNAFTER", "8s")).withKafkaBrokers(3);
            try (LocalStack stack = new LocalStack(options, out)) {
                // Ctrl-C or a kill of the CLI must not leave a stack and a PostgreSQL cluster behind; the cluster
                // first, in seconds, since stopping three brokers takes a minute or more and a second kill may come
                Thread stop = new Thread(() -> {
                    postgres.close();
                    stack.close();
                }, "stop-chaos");
                Runtime.getRuntime().addShutdownHook(stop);
                try {
                    return runOn(stack, postgres, seed, window, steps, file, out);
                } finally {
                    try {
                        Runtime.getRuntime().removeShutdownHook(stop);
                    } catch (IllegalStateException shuttingDown) {
                        // the hook is running or about to: it closes both
                    }
                }
            }
        }
    }

    private static Report runOn(LocalStack stack, ChaosPostgres postgres, long seed, Duration window, int steps,
                                Path file, PrintStream out) throws Exception {
        stack.start(Duration.ofMinutes(6));
        DemoRunner.prepareCluster(stack, out, Duration.ofMinutes(4));
        Chaos.Report report = new Chaos(stack, postgres, out, seed, window, steps).run();
        Files.createDirectories(file.getParent());
        Files.writeString(file, JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build()
                .writeValueAsString(report));
        out.println("checks:");
        report.checks().forEach(c -> out.printf("  %-4s %-45s %s%n", c.passed() ? "ok" : "FAIL", c.name(),
                c.detail()));
        out.println((report.passed() ? "PASSED" : "FAILED") + " (seed " + seed + "); report " + file);
        return new Report(report, file);
    }
}
