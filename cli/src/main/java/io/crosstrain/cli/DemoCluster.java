package io.crosstrain.cli;

import java.util.ArrayList;
import java.util.List;

/** The emulated cluster of the demo: three datacenters, one node of four devices each (ARCHITECTURE.md §1). */
record DemoCluster(List<Datacenter> datacenters) {

    record Device(String id, String chip) {
        String spec() {
            return id + ":" + chip;
        }
    }

    record Datacenter(String id, String name, String nodeId, List<Device> devices) {
    }

    static DemoCluster standard() {
        return new DemoCluster(List.of(
                datacenter("bj", "Beijing", "a100", "A100-80G", 4),
                datacenter("sh", "Shanghai", "h20", "H20", 4),
                datacenter("gy", "Guiyang", "910b", "Ascend-910B", 4)));
    }

    static Datacenter datacenter(String id, String name, String shortChip, String chip, int count) {
        List<Device> devices = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            devices.add(new Device(id + "-" + shortChip + "-" + i, chip));
        }
        return new Datacenter(id, name, id + "-node-0", List.copyOf(devices));
    }

    int deviceCount() {
        return datacenters.stream().mapToInt(d -> d.devices().size()).sum();
    }
}
