package io.crosstrain.worker.config;

import java.nio.file.Path;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.crosstrain.worker.domain.JobRun;
import io.crosstrain.worker.domain.WorkerNode;

@Configuration(proxyBeanMethods = false)
class WorkerConfig {

    @Bean
    WorkerNode workerNode(WorkerProperties props, JobRun.Outbox outbox, JobRun.StateSource states) {
        return new WorkerNode(props.nodeId(),
                props.parsedDevices().stream().map(WorkerProperties.Device::id).toList(),
                Path.of(props.dataDir()), props.roundTimeout().toMillis(), outbox, states);
    }
}
