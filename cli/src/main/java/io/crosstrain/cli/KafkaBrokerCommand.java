package io.crosstrain.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import org.apache.kafka.common.Uuid;

import io.crosstrain.contracts.KafkaLogin;
import io.crosstrain.localinfra.KafkaGrants;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code crosstrain kafka-broker}: one KRaft broker from the Kafka jars on this CLI's class path, configured exactly as
 * {@code ./crosstrain up} configures its own ({@link KafkaProcess#serverProperties}), for a container (compose). The
 * super user's password comes from {@code CROSSTRAIN_KAFKA_PASSWORD_ADMIN}; the data directory is formatted once.
 */
@Command(name = "kafka-broker", description = "Run a KRaft broker with SASL/SCRAM and ACLs in the foreground "
        + "(compose's kafka); the admin password from CROSSTRAIN_KAFKA_PASSWORD_ADMIN.")
final class KafkaBrokerCommand implements Callable<Integer> {

    @Option(names = "--advertised-host", defaultValue = "kafka", description = "host name clients reach it by")
    String advertisedHost;

    @Option(names = "--port", defaultValue = "9092")
    int port;

    @Option(names = "--controller-port", defaultValue = "9093")
    int controllerPort;

    @Option(names = "--data", defaultValue = "/var/lib/crosstrain/kafka", description = "data directory")
    Path data;

    @Override
    public Integer call() throws Exception {
        String variable = KafkaGrants.passwordVariable(KafkaGrants.ADMIN);
        String password = System.getenv(variable);
        if (password == null || password.isBlank()) {
            System.err.println("kafka-broker: set " + variable);
            return 2;
        }
        KafkaLogin admin = new KafkaLogin(KafkaGrants.ADMIN, password.strip());
        Files.createDirectories(data);
        Path config = data.resolve("server.properties");
        OwnerOnlyFile.write(config, KafkaProcess.serverProperties(1, "0.0.0.0", port, advertisedHost, controllerPort,
                "1@127.0.0.1:" + controllerPort, data.resolve("log"), 1, admin));
        // formatted once: a restart keeps the cluster id, the logins and the ACLs in the metadata log
        if (!Files.exists(data.resolve("log").resolve("meta.properties"))) {
            int formatted = KafkaProcess.spawn(KafkaProcess.format(Uuid.randomUuid().toString(), config, admin),
                    ProcessBuilder.Redirect.INHERIT).waitFor();
            if (formatted != 0) {
                return formatted;
            }
        }
        Process broker = KafkaProcess.spawn(List.of("kafka.Kafka", config.toString()),
                ProcessBuilder.Redirect.INHERIT);
        Runtime.getRuntime().addShutdownHook(new Thread(broker::destroy));
        return broker.waitFor();
    }
}
