package io.crosstrain.bench;

import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./crosstrain bench <name>}: benchmarks that print a table and write target/bench/<name>.json. */
@Command(name = "crosstrain bench", mixinStandardHelpOptions = true,
        subcommands = {WorkerBench.class, PlannerBench.class, RebalanceBench.class, RelayBench.class,
                WanBench.class, HybridBench.class})
public final class BenchMain implements Callable<Integer> {

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return 0;
    }

    public static void main(String[] args) {
        io.crosstrain.training.DjlSetup.configureCpu();
        int code = new CommandLine(new BenchMain())
                .setExecutionExceptionHandler((ex, cmd, parsed) -> {
                    cmd.getErr().println("bench: " + ex.getMessage());
                    return 1;
                })
                .execute(args);
        System.exit(code);
    }
}
