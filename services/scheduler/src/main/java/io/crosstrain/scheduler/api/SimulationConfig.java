package io.crosstrain.scheduler.api;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ClusterPlanner;

/** The cross-datacenter planner behind {@code POST /api/v1/plans/simulate}, with the built-in chip catalogue. */
@Configuration(proxyBeanMethods = false)
class SimulationConfig {

    @Bean
    ClusterPlanner clusterPlanner() {
        return new ClusterPlanner(ChipCatalogue.defaults());
    }
}
