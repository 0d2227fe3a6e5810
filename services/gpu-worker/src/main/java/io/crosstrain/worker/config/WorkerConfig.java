package io.crosstrain.worker.config;

import java.nio.file.Path;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.crosstrain.checkpoint.CheckpointStore;
import io.crosstrain.checkpoint.CheckpointStores;
import io.crosstrain.worker.domain.Checkpointing;
import io.crosstrain.worker.domain.JobRun;
import io.crosstrain.worker.domain.WorkerNode;
import io.crosstrain.worker.pipeline.ActivationHub;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

@Configuration(proxyBeanMethods = false)
class WorkerConfig {

    /** Pipeline hand-overs between this node's stages and from other nodes' (ActivationListener). */
    @Bean
    ActivationHub activationHub() {
        return new ActivationHub();
    }

    /** Checkpoint shards, checkpoints to resume from, and hand-over states too large for Kafka. */
    @Bean(destroyMethod = "close")
    CheckpointStore checkpointStore(CheckpointProperties checkpoints, WorkerProperties props) {
        CheckpointStores.Settings settings = checkpoints.settings(Path.of(props.dataDir()));
        org.slf4j.LoggerFactory.getLogger(WorkerConfig.class).info("checkpoint store: {}", settings);
        return CheckpointStores.create(settings);
    }

    /** The node's background uploads; closing lets queued ones finish. */
    @Bean(destroyMethod = "close")
    Checkpointing checkpointing(CheckpointStore store) {
        return new Checkpointing(store);
    }

    @Bean
    WorkerNode workerNode(WorkerProperties props, JobRun.Outbox outbox, JobRun.StateSource states,
                          ActivationHub hub, Checkpointing checkpointing, MeterRegistry registry) {
        WorkerNode node = new WorkerNode(props.nodeId(),
                props.parsedDevices().stream().map(WorkerProperties.Device::id).toList(),
                Path.of(props.dataDir()), props.roundTimeout().toMillis(), outbox, states, hub, checkpointing);
        // what the node holds per job: back to zero once its jobs end (the soak in DilocoFaultsIT reads these)
        Gauge.builder("worker.runs", node, WorkerNode::runningJobs).description("jobs running on this node")
                .register(registry);
        Gauge.builder("worker.jobs.tracked", node, WorkerNode::trackedJobs)
                .description("jobs not known to have ended whose plan versions this node tracks").register(registry);
        Gauge.builder("worker.handovers.held", node, WorkerNode::heldHandovers)
                .description("pipeline hand-overs held on this node").register(registry);
        return node;
    }
}
