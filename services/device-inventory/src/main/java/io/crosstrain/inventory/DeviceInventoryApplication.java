package io.crosstrain.inventory;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Datacenters, nodes and devices, the chip catalogue, and device health derived from heartbeats. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class DeviceInventoryApplication {

    public static void main(String[] args) {
        SpringApplication.run(DeviceInventoryApplication.class, args);
    }
}
