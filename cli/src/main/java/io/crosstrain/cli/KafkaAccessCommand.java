package io.crosstrain.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import io.crosstrain.contracts.KafkaLogin;
import io.crosstrain.localinfra.KafkaGrants;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code crosstrain kafka-access}: creates every principal's SCRAM login and ACLs on a broker that is not run by
 * {@code ./crosstrain up} (compose's {@code kafka-setup} runs it). Passwords come from the environment,
 * {@code CROSSTRAIN_KAFKA_PASSWORD_<PRINCIPAL>}, the super user's among them.
 */
@Command(name = "kafka-access", description = "Create the Kafka logins and ACLs of every CrossTrain principal on a "
        + "broker, passwords from CROSSTRAIN_KAFKA_PASSWORD_<PRINCIPAL> (ADMIN, JOB_API, RELAY_BJ, ...).")
final class KafkaAccessCommand implements Callable<Integer> {

    @Option(names = "--bootstrap", required = true, description = "the broker, host:port")
    String bootstrap;

    @Option(names = "--node", split = ",", description = "worker nodes as id=datacenter (default: the demo cluster's)")
    Map<String, String> nodes;

    @Option(names = "--wait", defaultValue = "PT2M", description = "how long to wait for the broker (ISO-8601)")
    Duration wait;

    @Override
    public Integer call() throws Exception {
        Map<String, String> env = System.getenv();
        Map<String, String> nodeDcs = new LinkedHashMap<>();
        if (nodes == null || nodes.isEmpty()) {
            DemoCluster.standard().nodes().forEach(n -> nodeDcs.put(n.id(), n.datacenter()));
        } else {
            nodeDcs.putAll(nodes);
        }
        List<String> missing = new ArrayList<>();
        Map<KafkaGrants.Principal, KafkaLogin> logins = new LinkedHashMap<>();
        for (KafkaGrants.Principal p : KafkaGrants.of(nodeDcs)) {
            String password = env.get(KafkaGrants.passwordVariable(p.name()));
            if (password == null || password.isBlank()) {
                missing.add(KafkaGrants.passwordVariable(p.name()));
            } else {
                logins.put(p, new KafkaLogin(p.name(), password.strip()));
            }
        }
        String adminPassword = env.get(KafkaGrants.passwordVariable(KafkaGrants.ADMIN));
        if (adminPassword == null || adminPassword.isBlank()) {
            missing.add(KafkaGrants.passwordVariable(KafkaGrants.ADMIN));
        }
        if (!missing.isEmpty()) {
            System.err.println("kafka-access: set " + String.join(", ", missing));
            return 2;
        }
        Map<String, Object> client = new HashMap<>(new KafkaLogin(KafkaGrants.ADMIN, adminPassword.strip())
                .clientProperties());
        client.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        client.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 8_000);
        client.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        try (Admin admin = Admin.create(client)) {
            long deadline = System.nanoTime() + wait.toNanos();
            while (true) {
                try {
                    admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
                    break;
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("broker " + bootstrap + " not reachable as admin within "
                                + wait + ": " + e.getMessage(), e);
                    }
                    Thread.sleep(1000);
                }
            }
            KafkaGrants.apply(admin, logins);
        }
        System.out.println("kafka-access: " + logins.size() + " principals with their ACLs on " + bootstrap + ": "
                + logins.keySet().stream().map(KafkaGrants.Principal::name).toList());
        return 0;
    }
}
