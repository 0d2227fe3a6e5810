package io.crosstrain.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

class KafkaLoginEnvironmentTest {

    private static StandardEnvironment environment(Map<String, Object> props) {
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new MapPropertySource("test", props));
        new KafkaLoginEnvironment().postProcessEnvironment(env, new SpringApplication());
        return env;
    }

    @Test
    void aLoginBecomesEveryClientsScramSettings() {
        StandardEnvironment env = environment(Map.of("crosstrain.kafka.username", "worker-bj-node-0",
                "crosstrain.kafka.password", "s3cret"));
        KafkaProperties kafka = Binder.get(env).bind("spring.kafka", KafkaProperties.class).get();
        for (Map<String, Object> client : java.util.List.of(kafka.buildProducerProperties(),
                kafka.buildConsumerProperties(), kafka.buildAdminProperties())) {
            assertThat(client).containsEntry("security.protocol", "SASL_PLAINTEXT")
                    .containsEntry("sasl.mechanism", "SCRAM-SHA-512");
            assertThat((String) client.get("sasl.jaas.config"))
                    .contains("username=\"worker-bj-node-0\"", "password=\"s3cret\"");
        }
    }

    @Test
    void withoutALoginNothingChangesAndHalfALoginIsRefused() {
        assertThat(environment(Map.of()).getProperty("spring.kafka.security.protocol")).isNull();
        assertThatThrownBy(() -> environment(Map.of("crosstrain.kafka.username", "job-api")))
                .hasMessageContaining("crosstrain.kafka.password");
        assertThatThrownBy(() -> environment(Map.of("crosstrain.kafka.username", "job-api",
                "crosstrain.kafka.password", "a\"b"))).hasMessageContaining("quote");
    }
}
