package io.crosstrain.testsupport;

import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Gives every Spring context started in a test the service key of {@link TestCallers}, unless the test sets its own:
 * services refuse to start without one.
 */
public final class TestServiceKeys implements EnvironmentPostProcessor, Ordered {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        environment.getPropertySources().addLast(new MapPropertySource("crosstrain-test-service-keys",
                Map.of("CROSSTRAIN_SERVICE_KEYS", TestCallers.KEYS))); // what each application.yml reads
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
