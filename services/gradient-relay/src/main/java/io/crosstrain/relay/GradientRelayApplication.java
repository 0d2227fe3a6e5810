package io.crosstrain.relay;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** One gradient relay per datacenter ({@code crosstrain.relay.datacenter}). */
@SpringBootApplication
public class GradientRelayApplication {

    public static void main(String[] args) {
        SpringApplication.run(GradientRelayApplication.class, args);
    }
}
