package io.crosstrain.scheduler.config;

import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;

import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.web.client.RestClient;

import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.KafkaTopics;
import io.crosstrain.planner.ChipCatalogue;
import io.crosstrain.planner.ClusterPlanner;
import io.crosstrain.scheduler.client.InventoryClient;
import io.crosstrain.scheduler.domain.Activity;
import io.crosstrain.scheduler.domain.AdmissionPolicy;
import io.crosstrain.scheduler.domain.OrphanRule;
import io.crosstrain.scheduler.domain.PlanAssembler;
import io.crosstrain.web.ServiceCalls;
import tools.jackson.databind.json.JsonMapper;

@Configuration(proxyBeanMethods = false)
class SchedulerConfig {


    /** The one planner: published plans and {@code plans/simulate} both ask it. */
    @Bean
    ClusterPlanner clusterPlanner() {
        return new ClusterPlanner(ChipCatalogue.defaults());
    }

    @Bean
    PlanAssembler planAssembler(ClusterPlanner planner, SchedulerProperties props) {
        return new PlanAssembler(planner, props.defaultVocab(),
                new PlanAssembler.Emulation(props.cpuBudget(), props.minStep().toMillis() / 1000.0));
    }

    @Bean
    AdmissionPolicy admissionPolicy(SchedulerProperties props) {
        ChipCatalogue catalogue = ChipCatalogue.defaults();
        // when a job may take only some devices, the fastest chips go first
        return new AdmissionPolicy(props.deviceWait(), props.quotas(), props.defaultQuota(),
                d -> catalogue.find(d.chip()).map(c -> c.tflops()).orElse(0.0));
    }

    @Bean
    @ConditionalOnMissingBean
    Clock clock() {
        return Clock.systemUTC();
    }

    @Bean
    InventoryClient inventoryClient(SchedulerProperties props, JsonMapper json, ServiceCalls serviceCalls) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        JdkClientHttpRequestFactory factory = new JdkClientHttpRequestFactory(http);
        factory.setReadTimeout(Duration.ofSeconds(5));
        // as the scheduler itself: the inventory answers only calls that carry a caller token
        RestClient rest = RestClient.builder().baseUrl(props.inventoryUrl()).requestFactory(factory)
                .requestInterceptor(serviceCalls.interceptor()).build();
        // three attempts, 200 ms then 400 ms apart, inside each look at the inventory
        return new InventoryClient(rest, InventoryClient.retry(3, Duration.ofMillis(200)), json, props.inventoryUrl());
    }

    @Bean
    KafkaAdmin.NewTopics schedulerTopics() {
        return KafkaTopics.withDeadLetters(Topics.JOB_EVENTS, Topics.PLANS, Topics.JOB_COMMANDS,
                Topics.DEVICE_EVENTS, Topics.STEP_METRICS);
    }

    /** Compacted as the workers and device-inventory declare it: whoever starts first creates it the same way. */
    @Bean
    KafkaAdmin.NewTopics heartbeatTopics() {
        return new KafkaAdmin.NewTopics(
                KafkaTopics.compacted(Topics.DEVICE_HEARTBEATS, Topics.partitions(Topics.DEVICE_HEARTBEATS)),
                KafkaTopics.deadLetter(Topics.DEVICE_HEARTBEATS));
    }

    @Bean
    Activity activity(Clock clock) {
        return new Activity(clock);
    }

    @Bean
    OrphanRule orphanRule(SchedulerProperties props) {
        return new OrphanRule(props.orphanAfter(), props.heartbeatFresh(), props.orphanSteps());
    }
}
