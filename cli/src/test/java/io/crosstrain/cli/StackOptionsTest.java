package io.crosstrain.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import picocli.CommandLine;

/** `up` and `demo` take where the stack goes after their own name, as the README writes them. */
class StackOptionsTest {

    private static StackOptions parsed(String... args) {
        CommandLine cli = new CommandLine(new CrossTrainCli());
        CommandLine.ParseResult result = cli.parseArgs(args);
        Object sub = result.subcommand().commandSpec().userObject();
        return sub instanceof CrossTrainCli.Up up ? up.where : ((CrossTrainCli.Demo) sub).where;
    }

    @Test
    void upTakesTheCheckpointStoreAndPortsAfterItsName() {
        LocalStack.Options o = parsed("up", "--checkpoint-store", "S3", "--port-base", "28080")
                .options(9092, "crosstrain", DemoCluster.standard());
        assertThat(o.checkpointStore()).isEqualTo("s3");
        assertThat(o.gateway()).isEqualTo(28080);
        assertThat(o.s3()).isEqualTo(28089);
        assertThat(o.database()).isEqualTo("crosstrain");
        assertThat(parsed("demo").options(0, "crosstrain_demo", DemoCluster.standard()).checkpointStore())
                .isEqualTo("local");
    }

    @Test
    void anUnknownStoreIsRefusedByName() {
        StackOptions where = parsed("demo", "--checkpoint-store", "ftp");
        assertThatThrownBy(() -> where.options(0, "crosstrain_demo", DemoCluster.standard()))
                .hasMessageContaining("local or s3, not ftp");
    }
}
