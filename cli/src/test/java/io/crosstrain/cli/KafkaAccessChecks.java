package io.crosstrain.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import io.crosstrain.contracts.KafkaLogin;
import io.crosstrain.contracts.Topics;
import io.crosstrain.localinfra.KafkaGrants;

/**
 * What DemoEndToEndIT checks of the running stack's broker: no client gets in without a SCRAM login, and each
 * principal reaches only its own topics and groups (KafkaGrants), each refusal beside an allowed twin that proves
 * the login itself works.
 */
final class KafkaAccessChecks {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private final LocalStack stack;

    KafkaAccessChecks(LocalStack stack) {
        this.stack = stack;
    }

    void everyPrincipalReachesOnlyItsOwnTopics() throws Exception {
        DemoCluster.Node node = stack.options().cluster().nodes().get(0);
        String dc = node.datacenter();
        String otherDc = stack.options().cluster().datacenters().stream().map(DemoCluster.Datacenter::id)
                .filter(d -> !d.equals(dc)).findFirst().orElseThrow();
        String worker = "worker-" + node.id();

        // no login: the broker's only client listener speaks SASL, a plain client never gets an answer
        Map<String, Object> anonymous = new HashMap<>(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                stack.kafkaBootstrap(), AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 4000));
        try (Admin admin = Admin.create(anonymous)) {
            assertThatThrownBy(() -> admin.listTopics().names().get(10, TimeUnit.SECONDS))
                    .as("a client without a login lists topics").isInstanceOf(ExecutionException.class);
        }
        // a known name with a wrong password
        Map<String, Object> forged = new HashMap<>(stack.kafkaClient(worker));
        forged.putAll(new KafkaLogin(worker, "not-the-password").clientProperties());
        assertThat(sendError(forged, Topics.gradUp(dc))).as("wrong password")
                .isInstanceOf(SaslAuthenticationException.class);

        // a worker: its own datacenter's gradients and the shared worker topics, nothing of the control plane
        Map<String, Object> w = stack.kafkaClient(worker);
        assertThat(describeError(w, Topics.gradDown(dc))).as("%s reads its own grad-down", worker).isNull();
        assertThat(describeError(w, Topics.gradDown(otherDc))).as("%s reads %s's grad-down", worker, otherDc)
                .isInstanceOf(TopicAuthorizationException.class);
        for (String topic : List.of(Topics.JOB_COMMANDS, Topics.PLANS, Topics.JOB_EVENTS, Topics.gradDown(dc),
                Topics.gradUp(otherDc))) {
            assertThat(sendError(w, topic)).as("%s writes %s", worker, topic)
                    .isInstanceOf(TopicAuthorizationException.class);
        }
        assertThat(joinError(w, "scheduler", Topics.PLANS)).as("%s joins the scheduler's group", worker)
                .isInstanceOf(GroupAuthorizationException.class);

        // a relay: its datacenter's way down, never another's
        Map<String, Object> relay = stack.kafkaClient("relay-" + dc);
        assertThat(sendError(relay, Topics.gradDown(otherDc))).as("relay-%s writes %s's grad-down", dc, otherDc)
                .isInstanceOf(TopicAuthorizationException.class);
        assertThat(sendError(relay, Topics.PLANS)).as("relay writes plans")
                .isInstanceOf(TopicAuthorizationException.class);

        // automation: job commands only (ApiContractChecks' console producer writes them with this login)
        Map<String, Object> automation = stack.kafkaClient(KafkaGrants.AUTOMATION);
        for (String topic : List.of(Topics.PLANS, Topics.STEP_METRICS, Topics.gradUp(dc))) {
            assertThat(sendError(automation, topic)).as("automation writes %s", topic)
                    .isInstanceOf(TopicAuthorizationException.class);
        }
        for (String topic : List.of(Topics.JOB_COMMANDS, Topics.JOB_COMMAND_RESULTS, Topics.JOB_EVENTS)) {
            assertThat(fetchError(automation, topic)).as("automation reads %s", topic)
                    .isInstanceOf(TopicAuthorizationException.class);
        }
        assertThat(fetchError(stack.kafkaClient("job-api"), Topics.JOB_COMMANDS)).as("job-api reads job-commands")
                .isNull();
        // the scheduler may not forge what job-api alone says
        assertThat(sendError(stack.kafkaClient("scheduler"), Topics.JOB_EVENTS)).as("scheduler writes job-events")
                .isInstanceOf(TopicAuthorizationException.class);
    }

    /** The cause a one-record send to {@code topic} failed with, or null when the broker took it. */
    private static Throwable sendError(Map<String, Object> client, String topic) {
        Map<String, Object> config = new HashMap<>(client);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) WAIT.toMillis());
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) WAIT.toMillis());
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) WAIT.toMillis() - 1000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(),
                new StringSerializer())) {
            // not valid JSON for any reader: were it let through, its reader would dead-letter it, no more
            producer.send(new ProducerRecord<>(topic, "access-check", "access-check")).get(30, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
    }

    /** The error of looking up {@code topic}'s partitions (what reading it starts with), or null. */
    private static Throwable describeError(Map<String, Object> client, String topic) {
        try (KafkaConsumer<String, String> consumer = consumer(client, null)) {
            consumer.partitionsFor(topic, WAIT);
            return null;
        } catch (Exception e) {
            return e;
        }
    }

    /**
     * The error of fetching {@code topic}'s first partition from the beginning (writing a topic lets a principal
     * describe it, not read it), or null once a fetch has come back.
     */
    private static Throwable fetchError(Map<String, Object> client, String topic) {
        try (KafkaConsumer<String, String> consumer = consumer(client, null)) {
            TopicPartition first = new TopicPartition(topic, 0);
            consumer.assign(List.of(first));
            consumer.seekToBeginning(List.of(first));
            consumer.poll(Duration.ofSeconds(3));
            consumer.position(first, WAIT); // a fetch came back or the position is known: read access works
            return null;
        } catch (Exception e) {
            return e;
        }
    }

    /** The error of joining consumer group {@code group} on {@code topic}, or null once it has polled. */
    private static Throwable joinError(Map<String, Object> client, String group, String topic) {
        try (KafkaConsumer<String, String> consumer = consumer(client, group)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(500));
                if (!consumer.assignment().isEmpty()) {
                    return null;
                }
            }
            return null;
        } catch (Exception e) {
            return e;
        }
    }

    private static KafkaConsumer<String, String> consumer(Map<String, Object> client, String group) {
        Map<String, Object> config = new HashMap<>(client);
        config.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) WAIT.toMillis());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        if (group != null) {
            config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        return new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
    }
}
