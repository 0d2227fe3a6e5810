package io.crosstrain.kafka;

import java.util.LinkedHashMap;
import java.util.Map;

import io.crosstrain.contracts.KafkaLogin;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Turns {@code crosstrain.kafka.username} and {@code crosstrain.kafka.password} (CROSSTRAIN_KAFKA_USERNAME,
 * CROSSTRAIN_KAFKA_PASSWORD) into Boot's Kafka client settings, so every producer, consumer and admin a service
 * builds from {@code KafkaProperties} logs in with SCRAM-SHA-512. Without them the clients connect unauthenticated,
 * which only a broker without SASL (the services' own integration tests) accepts.
 */
public final class KafkaLoginEnvironment implements EnvironmentPostProcessor {

    static final String USERNAME = "crosstrain.kafka.username";
    static final String PASSWORD = "crosstrain.kafka.password";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        String username = environment.getProperty(USERNAME, "");
        String password = environment.getProperty(PASSWORD, "");
        if (username.isBlank() && password.isBlank()) {
            return;
        }
        if (username.isBlank() || password.isBlank()) {
            throw new IllegalStateException("set both " + USERNAME + " and " + PASSWORD + " (CROSSTRAIN_KAFKA_USERNAME,"
                    + " CROSSTRAIN_KAFKA_PASSWORD), or neither");
        }
        KafkaLogin login = new KafkaLogin(username.strip(), password.strip());
        Map<String, Object> props = new LinkedHashMap<>();
        props.put("spring.kafka.security.protocol", KafkaLogin.PROTOCOL);
        props.put("spring.kafka.properties.sasl.mechanism", KafkaLogin.MECHANISM);
        props.put("spring.kafka.properties.sasl.jaas.config", login.jaasConfig());
        environment.getPropertySources().addFirst(new MapPropertySource("crosstrainKafkaLogin", props));
    }
}
