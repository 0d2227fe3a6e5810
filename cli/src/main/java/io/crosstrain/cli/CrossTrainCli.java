package io.crosstrain.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@code ./crosstrain up | demo}: the whole platform on one machine, no Docker. */
// INHERIT: every subcommand takes --help and --version too
@Command(name = "crosstrain", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT,
        version = "crosstrain 0.1.0", description = "Train one model across datacenters and accelerator types.",
        subcommands = {CrossTrainCli.Up.class, CrossTrainCli.Demo.class, TrainCommand.class, ExportCommand.class,
                ServiceTokenCommand.class, KafkaAccessCommand.class, KafkaBrokerCommand.class, ChaosCommand.class, ApiBenchCommand.Group.class})
public final class CrossTrainCli implements Callable<Integer> {

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return 0;
    }

    public static void main(String[] args) {
        int code = new CommandLine(new CrossTrainCli())
                .setExecutionExceptionHandler((ex, cmd, parsed) -> {
                    cmd.getErr().println("crosstrain: " + ex.getMessage());
                    return 1;
                })
                .execute(args);
        System.exit(code);
    }

    @Command(name = "up", description = "Start Kafka, PostgreSQL and every service, and keep them running.")
    static final class Up implements Callable<Integer> {
        @CommandLine.Mixin
        StackOptions where = new StackOptions();

        @Option(names = "--kafka-port", defaultValue = "9092")
        int kafkaPort;

        @Override
        public Integer call() throws Exception {
            PrintStream out = System.out;
            out.println("CrossTrain: starting the local stack (emulated devices)");
            LocalStack stack = new LocalStack(where.options(kafkaPort, "crosstrain", DemoCluster.standard()), out);
            Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "stop-stack"));
            stack.start(Duration.ofMinutes(4));
            DemoRunner.registerCluster(stack, out);
            out.println("  gateway     http://127.0.0.1:" + stack.options().gateway() + "/");
            for (ServiceProcess s : stack.services()) {
                out.println(String.format(Locale.ROOT, "  %-22s http://127.0.0.1:%d  log %s", s.name(), s.port(),
                        s.log()));
            }
            out.println("Everything is up. Ctrl-C stops it.");
            new CountDownLatch(1).await();
            return 0;
        }
    }

    @Command(name = "demo", description = "Train the demo model on 3 emulated datacenters and report its efficiency.")
    static final class Demo implements Callable<Integer> {
        static final String DEMO_DATABASE = "crosstrain_demo";

        @CommandLine.Mixin
        StackOptions where = new StackOptions();

        @Option(names = "--steps", defaultValue = "20", description = "training steps of the balanced run")
        int steps;

        @Option(names = "--baseline-steps", description = "steps of the equal-split baseline (default: min(steps, 6))")
        Integer baselineSteps;

        @Option(names = "--model", defaultValue = "small", description = "small (whole replicas everywhere) or large "
                + "(no single chip holds it: pipeline stages, a different layout per datacenter, gy with 3 devices)")
        String model;

        @Option(names = "--global-batch", description = "default: 528 (small), 144 (large)")
        Integer globalBatch;

        @Option(names = "--lr", description = "default: 0.006 (small), 0.003 (large)")
        Double learningRate;

        @Option(names = "--seed", defaultValue = "42")
        long seed;

        @Option(names = "--data", description = "a UTF-8 text file to train on instead of the bundled corpus")
        Path data;

        @Option(names = "--report", description = "report JSON (a PNG plot is written beside it)",
                defaultValue = "target/demo/report.json")
        Path report;

        @Option(names = "--kafka-port", defaultValue = "0", description = "0 = any free port")
        int kafkaPort;

        @Option(names = "--strategy", defaultValue = "sync-dp",
                description = "across datacenters: sync-dp (every step) or diloco (every --h steps)")
        String strategy;

        @Option(names = "--h", defaultValue = "5", description = "DiLoCo: inner steps per outer round")
        int h;

        @Option(names = "--codec", defaultValue = "int8",
                description = "DiLoCo: pseudo-gradients on the WAN as fp32, bf16, fp16, int8 or int4")
        String codec;

        @Option(names = "--stack", description = "the gateway of a stack that is already running (docker compose: "
                + "http://127.0.0.1:8080): register the demo cluster there and train through it instead of starting "
                + "one; the key from --key, $CROSSTRAIN_API_KEY or $CROSSTRAIN_ADMIN_KEY")
        String stackGateway;

        @Option(names = "--key", defaultValue = "${env:CROSSTRAIN_API_KEY:-${env:CROSSTRAIN_ADMIN_KEY}}",
                description = "API key for --stack")
        String key;

        @Override
        public Integer call() throws Exception {
            PrintStream out = System.out;
            long t0 = System.nanoTime();
            DemoModel demoModel = DemoModel.named(model);
            out.println("CrossTrain demo: " + demoModel.describe() + " on 3 datacenters ("
                    + demoModel.cluster().describe() + "), devices emulated on this CPU");
            if (stackGateway != null) {
                return onRunningStack(out, demoModel, t0);
            }
            if (where.database == null && System.getenv("DB_URL") == null) {
                // a demo starts from nothing: no queued job or held device of an earlier, interrupted demo
                try {
                    io.crosstrain.localinfra.LocalPostgres.dropDatabase(
                            io.crosstrain.localinfra.LocalPostgres.LOCAL_ADMIN_URL, "postgres", "", DEMO_DATABASE);
                } catch (RuntimeException e) {
                    // no local server (an embedded one starts empty anyway)
                }
            }
            try (LocalStack stack = new LocalStack(where.options(kafkaPort, DEMO_DATABASE, demoModel.cluster()),
                    out)) {
                Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "stop-stack"));
                stack.start(Duration.ofMinutes(4));
                out.println(String.format(Locale.ROOT, "  %d services healthy after %.0f s", stack.services().size(),
                        (System.nanoTime() - t0) / 1e9));
                Path reportPath = report.isAbsolute() ? report : stack.options().home().resolve(report);
                // a pipelined model is compared with the even layer split and with data parallelism alone by the
                // planner (simulate), not with an equal split of whole replicas that do not fit
                int baseline = baselineSteps != null ? baselineSteps : demoModel.pipelined() ? 0 : Math.min(steps, 6);
                DemoRunner.Outcome outcome = new DemoRunner(stack, settings(demoModel, baseline, reportPath), out).run();
                finish(out, outcome, t0);
            }
            return 0;
        }

        private int onRunningStack(PrintStream out, DemoModel demoModel, long t0) throws Exception {
            if (key == null || key.isBlank()) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--stack needs an API key: --key, "
                        + "$CROSSTRAIN_API_KEY or $CROSSTRAIN_ADMIN_KEY (compose's is CROSSTRAIN_ADMIN_KEY in .env)");
            }
            String gateway = stackGateway.replaceAll("/+$", "");
            out.println("  on the running stack at " + gateway);
            JsonMapper mapper = JsonMapper.builder().build();
            DemoRunner.Target target = new DemoRunner.Target(new ApiClient(gateway, mapper, key), demoModel.cluster(),
                    null, "the workers' logs: docker compose logs worker-bj worker-sh worker-gy");
            Path reportPath = report.toAbsolutePath();
            int baseline = baselineSteps != null ? baselineSteps : demoModel.pipelined() ? 0 : Math.min(steps, 6);
            finish(out, new DemoRunner(target, settings(demoModel, baseline, reportPath), out).run(), t0);
            return 0;
        }

        private DemoRunner.Settings settings(DemoModel demoModel, int baseline, Path reportPath) {
            return new DemoRunner.Settings(steps, baseline,
                    globalBatch != null ? globalBatch : demoModel.globalBatch(),
                    learningRate != null ? learningRate : demoModel.learningRate(), seed, data, reportPath,
                    Duration.ofMinutes(30), strategy, h, codec, demoModel);
        }

        private static void finish(PrintStream out, DemoRunner.Outcome outcome, long t0) {
            Summary.print(out, outcome, (System.nanoTime() - t0) / 1e9);
            JsonNode replicas = outcome.report().path("replicas");
            if (!replicas.path("identical").asBoolean(false)) {
                throw new IllegalStateException("replicas diverged: " + replicas);
            }
        }
    }
}
