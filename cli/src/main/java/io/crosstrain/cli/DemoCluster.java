package io.crosstrain.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * The emulated cluster of a demo: datacenters of nodes, one worker process per node, each serving its devices
 * (ARCHITECTURE.md §1).
 */
record DemoCluster(List<Datacenter> datacenters) {

    record Device(String id, String chip) {
        String spec() {
            return id + ":" + chip;
        }
    }

    record Node(String id, String datacenter, List<Device> devices) {
    }

    record Datacenter(String id, String name, List<Node> nodes) {
        List<Device> devices() {
            return nodes.stream().flatMap(n -> n.devices().stream()).toList();
        }
    }

    /** Three datacenters of one node with four devices each. */
    static DemoCluster standard() {
        return new DemoCluster(List.of(
                datacenter("bj", "Beijing", "a100", "A100-80G", 4),
                datacenter("sh", "Shanghai", "h20", "H20", 4),
                datacenter("gy", "Guiyang", "910b", "Ascend-910B", 4)));
    }

    /** The large model's cluster: as {@link #standard()}, with three Ascend 910Bs in gy. */
    static DemoCluster large() {
        return new DemoCluster(List.of(
                datacenter("bj", "Beijing", "a100", "A100-80G", 4),
                datacenter("sh", "Shanghai", "h20", "H20", 4),
                datacenter("gy", "Guiyang", "910b", "Ascend-910B", 3)));
    }

    /** A datacenter of {@code count} devices on one node. */
    static Datacenter datacenter(String id, String name, String shortChip, String chip, int count) {
        return datacenter(id, name, shortChip, chip, new int[] {count});
    }

    /** A datacenter whose nodes hold {@code perNode[i]} devices each; device ids run on across its nodes. */
    static Datacenter datacenter(String id, String name, String shortChip, String chip, int[] perNode) {
        List<Node> nodes = new ArrayList<>();
        int next = 0;
        for (int n = 0; n < perNode.length; n++) {
            List<Device> devices = new ArrayList<>();
            for (int i = 0; i < perNode[n]; i++) {
                devices.add(new Device(id + "-" + shortChip + "-" + next++, chip));
            }
            nodes.add(new Node(id + "-node-" + n, id, List.copyOf(devices)));
        }
        return new Datacenter(id, name, List.copyOf(nodes));
    }

    /** Every node, datacenter by datacenter: the order of the workers' ports. */
    List<Node> nodes() {
        return datacenters.stream().flatMap(dc -> dc.nodes().stream()).toList();
    }

    /** "bj 4x A100-80G, sh 4x H20, ..." */
    String describe() {
        return String.join(", ", datacenters.stream().map(dc -> dc.id() + " " + dc.devices().size() + "x "
                + dc.devices().get(0).chip() + (dc.nodes().size() > 1 ? " on " + dc.nodes().size() + " nodes" : ""))
                .toList());
    }

    int deviceCount() {
        return datacenters.stream().mapToInt(d -> d.devices().size()).sum();
    }
}
