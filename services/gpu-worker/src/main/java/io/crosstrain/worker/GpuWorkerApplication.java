package io.crosstrain.worker;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

import io.crosstrain.training.DjlSetup;

/** One gpu-worker per node: trains the shards of the node's devices and reports their metrics. */
@SpringBootApplication
@ConfigurationPropertiesScan
@EnableScheduling
public class GpuWorkerApplication {

    public static void main(String[] args) {
        DjlSetup.configureCpu();
        SpringApplication.run(GpuWorkerApplication.class, args);
    }
}
