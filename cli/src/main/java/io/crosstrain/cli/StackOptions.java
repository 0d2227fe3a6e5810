package io.crosstrain.cli;

import java.nio.file.Path;
import java.util.Locale;

import picocli.CommandLine.Option;

/** Where `up` and `demo` put the stack: repository, ports, database, checkpoint store. */
final class StackOptions {

    @Option(names = "--home", description = "repository root (where the service jars are built)",
            defaultValue = "${sys:crosstrain.home:-.}")
    Path home;

    @Option(names = "--port-base", defaultValue = "8080",
            description = "gateway port; inventory +1, job-api +2, scheduler +3, S3Proxy +9, relays +10.., workers "
                    + "+20..")
    int portBase;

    @Option(names = "--database", description = "PostgreSQL database to use (created if missing); default: "
            + "crosstrain for up, a fresh crosstrain_demo for demo")
    String database;

    @Option(names = "--checkpoint-store", defaultValue = "local", description = "where checkpoints go: local "
            + "(.crosstrain/checkpoints) or s3 (S3Proxy from its Maven Central jar, started beside the stack on port "
            + "base + 9)")
    String checkpointStore;

    LocalStack.Options options(int kafkaPort, String defaultDatabase, DemoCluster cluster) {
        Path root = home.toAbsolutePath().normalize();
        return new LocalStack.Options(root, kafkaPort, portBase, database != null ? database : defaultDatabase,
                root.resolve(".crosstrain"), cluster).withCheckpointStore(checkpointStore.strip().toLowerCase(
                Locale.ROOT));
    }
}
