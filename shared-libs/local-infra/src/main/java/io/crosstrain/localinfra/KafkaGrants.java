package io.crosstrain.localinfra;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import io.crosstrain.contracts.KafkaLogin;
import io.crosstrain.contracts.Topics;

/**
 * Who may touch which topic: one Kafka principal per service (per datacenter for relays, per node for workers) and
 * one for automation, each allowed exactly the topics and consumer groups its code uses (docs/architecture.md §10).
 * Brokers deny everything else. The group names here are the ones the services' listeners declare.
 */
public final class KafkaGrants {

    /** The broker's super user: the CLI, the tests and this class's own set-up. */
    public static final String ADMIN = "admin";
    /** Scripts and schedulers outside the stack: may write job commands and nothing else. */
    public static final String AUTOMATION = "automation";

    /**
     * One principal's rights. {@code declares} = it may create and describe the topics it uses (and their dead
     * letters), as every service declares its topics at start.
     */
    public record Principal(String name, Set<String> reads, Set<String> writes, Set<String> groups,
                            boolean declares) {
        public Principal {
            reads = Set.copyOf(reads);
            writes = Set.copyOf(writes);
            groups = Set.copyOf(groups);
        }
    }

    private KafkaGrants() {
    }

    public static Principal jobApi() {
        return new Principal("job-api",
                Set.of(Topics.JOB_COMMANDS, Topics.PLANS, Topics.STEP_METRICS, Topics.CHECKPOINT_SHARDS),
                Set.of(Topics.JOB_EVENTS, Topics.JOB_COMMAND_RESULTS),
                Set.of("job-api", "job-api-checkpoints"), true);
    }

    public static Principal scheduler() {
        return new Principal("scheduler",
                Set.of(Topics.DEVICE_EVENTS, Topics.DEVICE_HEARTBEATS, Topics.JOB_EVENTS, Topics.STEP_METRICS),
                Set.of(Topics.PLANS, Topics.JOB_COMMANDS),
                Set.of("scheduler", "scheduler-heartbeats", "scheduler-device-events", "scheduler-step-metrics"),
                true);
    }

    public static Principal inventory() {
        return new Principal("device-inventory", Set.of(Topics.DEVICE_HEARTBEATS, Topics.STEP_METRICS),
                Set.of(Topics.DEVICE_EVENTS), Set.of("device-inventory", "device-inventory-profiles"), true);
    }

    /** The relay of one datacenter: its own workers' gradients up and down, and the shared WAN stage. */
    public static Principal relay(String datacenter) {
        String me = "relay-" + datacenter;
        return new Principal(me,
                Set.of(Topics.gradUp(datacenter), Topics.GRAD_WAN, Topics.PLANS, Topics.JOB_EVENTS,
                        Topics.ROUND_LEDGER),
                Set.of(Topics.gradDown(datacenter), Topics.GRAD_WAN, Topics.ROUND_LEDGER),
                Set.of(me, me + "-up", me + "-plans", me + "-events"), true);
    }

    /** One worker node: its datacenter's gradient and activation topics only. */
    public static Principal worker(String nodeId, String datacenter) {
        String me = "worker-" + nodeId;
        return new Principal(me,
                Set.of(Topics.PLANS, Topics.JOB_EVENTS, Topics.gradDown(datacenter), Topics.activations(datacenter),
                        Topics.MODEL_STATE),
                Set.of(Topics.gradUp(datacenter), Topics.activations(datacenter), Topics.STEP_METRICS,
                        Topics.DEVICE_HEARTBEATS, Topics.CHECKPOINT_SHARDS, Topics.MODEL_STATE),
                Set.of(me, me + "-events", me + "-act"), true);
    }

    public static Principal automation() {
        return new Principal(AUTOMATION, Set.of(), Set.of(Topics.JOB_COMMANDS), Set.of(), false);
    }

    /** The environment variable that holds a principal's password outside {@code ./crosstrain up} (compose). */
    public static String passwordVariable(String principal) {
        return "CROSSTRAIN_KAFKA_PASSWORD_" + principal.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /** Every principal of a stack with these worker nodes (node id to its datacenter): a relay per datacenter. */
    public static List<Principal> of(Map<String, String> nodeDatacenters) {
        List<Principal> all = new ArrayList<>(List.of(jobApi(), scheduler(), inventory(), automation()));
        new java.util.TreeSet<>(nodeDatacenters.values()).forEach(dc -> all.add(relay(dc)));
        nodeDatacenters.forEach((node, dc) -> all.add(worker(node, dc)));
        return all;
    }

    /** The ACLs that give {@code p} its rights; anything not listed stays denied. */
    public static List<AclBinding> bindings(Principal p) {
        String user = "User:" + p.name();
        List<AclBinding> out = new ArrayList<>();
        for (String t : p.reads()) {
            out.add(topic(user, t, AclOperation.READ));
            // a record it cannot process goes to the topic's dead letter
            out.add(topic(user, Topics.deadLetter(t), AclOperation.WRITE));
        }
        for (String t : p.writes()) {
            out.add(topic(user, t, AclOperation.WRITE));
        }
        if (p.declares()) {
            Set<String> used = new LinkedHashSet<>(p.reads());
            used.addAll(p.writes());
            for (String t : used) {
                for (String name : List.of(t, Topics.deadLetter(t))) {
                    out.add(topic(user, name, AclOperation.CREATE));
                    out.add(topic(user, name, AclOperation.DESCRIBE));
                }
            }
        }
        for (String g : p.groups()) {
            out.add(new AclBinding(new ResourcePattern(ResourceType.GROUP, g, PatternType.LITERAL),
                    new AccessControlEntry(user, "*", AclOperation.READ, AclPermissionType.ALLOW)));
        }
        return out.stream().distinct().toList();
    }

    private static AclBinding topic(String user, String name, AclOperation op) {
        return new AclBinding(new ResourcePattern(ResourceType.TOPIC, name, PatternType.LITERAL),
                new AccessControlEntry(user, "*", op, AclPermissionType.ALLOW));
    }

    /** Creates (or updates) each principal's SCRAM-SHA-512 credential and its ACLs, as the broker's super user. */
    public static void apply(Admin admin, Map<Principal, KafkaLogin> logins) {
        List<UserScramCredentialAlteration> users = new ArrayList<>();
        List<AclBinding> acls = new ArrayList<>();
        logins.forEach((p, login) -> {
            if (!p.name().equals(login.username())) {
                throw new IllegalArgumentException("login " + login.username() + " given for principal " + p.name());
            }
            users.add(new UserScramCredentialUpsertion(login.username(),
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), login.password()));
            acls.addAll(bindings(p));
        });
        try {
            admin.alterUserScramCredentials(users).all().get(60, TimeUnit.SECONDS);
            admin.createAcls(acls).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not set Kafka logins and ACLs: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while setting Kafka logins and ACLs", e);
        }
    }
}
