package io.crosstrain.jobapi;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

/** Jobs: specification, lifecycle, history, step metrics and reports; job events leave through an outbox. */
@SpringBootApplication
@ConfigurationPropertiesScan
@EnableScheduling
public class JobApiApplication {

    public static void main(String[] args) {
        SpringApplication.run(JobApiApplication.class, args);
    }
}
