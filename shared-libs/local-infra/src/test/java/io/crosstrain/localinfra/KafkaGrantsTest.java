package io.crosstrain.localinfra;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.Topics;

class KafkaGrantsTest {

    private static final List<String> DCS = List.of("bj", "sh", "gy");
    private static final Map<String, String> NODES = Map.of("bj-node-0", "bj", "bj-node-1", "bj", "sh-node-0", "sh",
            "gy-node-0", "gy");
    private static final List<AclBinding> ALL = KafkaGrants.of(NODES).stream()
            .flatMap(p -> KafkaGrants.bindings(p).stream()).toList();

    /** The principals an ACL lets do {@code op} on topic {@code topic}. */
    private static Set<String> who(AclOperation op, String topic) {
        Set<String> out = new TreeSet<>();
        for (AclBinding b : ALL) {
            if (b.pattern().resourceType() == ResourceType.TOPIC && b.pattern().name().equals(topic)
                    && b.entry().operation() == op) {
                out.add(b.entry().principal().substring("User:".length()));
            }
        }
        return out;
    }

    @Test
    void everyGrantIsALiteralAllowSoNoPrefixReachesANeighboursTopics() {
        assertThat(ALL).isNotEmpty().allSatisfy(b -> {
            assertThat(b.pattern().patternType()).isEqualTo(PatternType.LITERAL);
            assertThat(b.entry().permissionType()).isEqualTo(AclPermissionType.ALLOW);
            assertThat(b.entry().operation()).isNotIn(AclOperation.ALL, AclOperation.ALTER, AclOperation.DELETE,
                    AclOperation.ALTER_CONFIGS, AclOperation.CLUSTER_ACTION);
            assertThat(b.pattern().resourceType()).isIn(ResourceType.TOPIC, ResourceType.GROUP);
        });
    }

    @Test
    void onlyTheOwnerOfEachControlTopicWritesIt() {
        assertThat(who(AclOperation.WRITE, Topics.JOB_COMMANDS)).containsExactly("automation", "scheduler");
        assertThat(who(AclOperation.WRITE, Topics.JOB_EVENTS)).containsExactly("job-api");
        assertThat(who(AclOperation.WRITE, Topics.JOB_COMMAND_RESULTS)).containsExactly("job-api");
        assertThat(who(AclOperation.WRITE, Topics.PLANS)).containsExactly("scheduler");
        assertThat(who(AclOperation.WRITE, Topics.DEVICE_EVENTS)).containsExactly("device-inventory");
        assertThat(who(AclOperation.WRITE, Topics.ROUND_LEDGER)).containsExactly("relay-bj", "relay-gy", "relay-sh");
    }

    @Test
    void gradientsAndActivationsStayInsideTheirDatacenter() {
        for (String dc : DCS) {
            Set<String> workers = new TreeSet<>();
            NODES.forEach((node, d) -> {
                if (d.equals(dc)) {
                    workers.add("worker-" + node);
                }
            });
            assertThat(who(AclOperation.WRITE, Topics.gradUp(dc))).as(dc).isEqualTo(workers);
            assertThat(who(AclOperation.READ, Topics.gradUp(dc))).as(dc).containsExactly("relay-" + dc);
            assertThat(who(AclOperation.WRITE, Topics.gradDown(dc))).as(dc).containsExactly("relay-" + dc);
            assertThat(who(AclOperation.READ, Topics.gradDown(dc))).as(dc).isEqualTo(workers);
            assertThat(who(AclOperation.READ, Topics.activations(dc))).as(dc).isEqualTo(workers);
            assertThat(who(AclOperation.WRITE, Topics.activations(dc))).as(dc).isEqualTo(workers);
        }
    }

    @Test
    void automationWritesJobCommandsAndNothingElse() {
        assertThat(KafkaGrants.bindings(KafkaGrants.automation())).singleElement().satisfies(b -> {
            assertThat(b.pattern().name()).isEqualTo(Topics.JOB_COMMANDS);
            assertThat(b.entry().operation()).isEqualTo(AclOperation.WRITE);
        });
    }

    @Test
    void eachConsumerGroupBelongsToOnePrincipal() {
        Map<String, List<String>> owners = ALL.stream()
                .filter(b -> b.pattern().resourceType() == ResourceType.GROUP)
                .collect(java.util.stream.Collectors.groupingBy(b -> b.pattern().name(),
                        java.util.stream.Collectors.mapping(b -> b.entry().principal(),
                                java.util.stream.Collectors.toList())));
        assertThat(owners).isNotEmpty().allSatisfy((group, principals) -> assertThat(principals).as(group)
                .hasSize(1));
        assertThat(owners).containsKeys("worker-bj-node-1", "relay-sh-up", "job-api", "scheduler-heartbeats");
    }
}
