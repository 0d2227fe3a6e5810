package io.crosstrain.worker.config;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param devices         the node's devices as {@code id:chip}, e.g. {@code bj-a100-0:A100-80G}
 * @param dataDir         directory that {@code path} datasets must lie in
 * @param roundTimeout    how long a device waits for the averaged update of a round before failing the job
 * @param planMaxAge      plans older than this when the worker starts are history, not work (resuming a running
 *                        job after a restart is the scheduler's re-plan, not a replay)
 */
@ConfigurationProperties("crosstrain.worker")
public record WorkerProperties(
        String nodeId,
        String datacenter,
        List<String> devices,
        @DefaultValue("./data") String dataDir,
        @DefaultValue("2s") Duration heartbeatInterval,
        @DefaultValue("120s") Duration roundTimeout,
        @DefaultValue("10s") Duration planMaxAge) {

    public record Device(String id, String chip) {
    }

    public List<Device> parsedDevices() {
        return devices.stream().map(s -> {
            int i = s.indexOf(':');
            if (i <= 0 || i == s.length() - 1) {
                throw new IllegalArgumentException("crosstrain.worker.devices entry '" + s + "' is not id:chip");
            }
            return new Device(s.substring(0, i).trim(), s.substring(i + 1).trim());
        }).toList();
    }
}
