package io.crosstrain.inventory;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableScheduling;

/**
 * Datacenters, WAN links, nodes and devices, the chip catalogue, device health from heartbeats (with events) and
 * throughput profiles measured from step metrics.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
@EnableScheduling
public class DeviceInventoryApplication {

    public static void main(String[] args) {
        SpringApplication.run(DeviceInventoryApplication.class, args);
    }
}
