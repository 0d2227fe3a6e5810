package io.crosstrain.worker.config;

import java.nio.file.Path;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.crosstrain.worker.domain.JobRun;
import io.crosstrain.worker.domain.WorkerNode;
import io.crosstrain.worker.pipeline.ActivationHub;

@Configuration(proxyBeanMethods = false)
class WorkerConfig {

    /** Pipeline hand-overs between this node's stages and from other nodes' (ActivationListener). */
    @Bean
    ActivationHub activationHub() {
        return new ActivationHub();
    }

    @Bean
    WorkerNode workerNode(WorkerProperties props, JobRun.Outbox outbox, JobRun.StateSource states,
                          ActivationHub hub) {
        return new WorkerNode(props.nodeId(),
                props.parsedDevices().stream().map(WorkerProperties.Device::id).toList(),
                Path.of(props.dataDir()), props.roundTimeout().toMillis(), outbox, states, hub);
    }
}
