package io.crosstrain.relay.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.crosstrain.codec.ChunkView;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.relay.domain.RoundAggregator.Stage;

/** A plan as one stage sees it: who contributes, in which summation order. */
final class JobPlan {
    final Plan plan;
    final int version;
    final long startStep;
    final List<String> contributors;
    final Map<String, Integer> positions = new HashMap<>();
    final boolean participating;
    /** This datacenter is the plan's only one: nobody on the WAN takes part. */
    final boolean soleDatacenter;

    /**
     * Per contributor, the element ranges of the flat vector it sends ({@code [offset, offset + count)} pairs);
     * null when it sends the whole vector (whole replicas, and every datacenter's partial).
     */
    final long[][] coverage;
    /** Every contributor, for a chunk every contributor sends. */
    final int[] everyone;

    JobPlan(Plan plan, Stage stage, String datacenter) {
        this.plan = plan;
        version = plan.planVersion();
        startStep = plan.startStep();
        soleDatacenter = List.of(datacenter).equals(plan.datacenters());
        if (stage == Stage.INTRA_DC) {
            List<PlanDevice> devices = plan.devices() == null ? List.of() : plan.devices().stream()
                    .filter(d -> datacenter.equals(d.datacenter()))
                    .sorted(Comparator.comparingInt(PlanDevice::rank))
                    .toList();
            // one contribution per node: each gpu-worker reduces its own devices first (see NodeReducer)
            contributors = devices.stream().map(PlanDevice::nodeId).distinct().toList();
            participating = !contributors.isEmpty();
            coverage = new long[contributors.size()][];
            for (int c = 0; c < contributors.size(); c++) {
                String node = contributors.get(c);
                coverage[c] = ranges(devices.stream().filter(d -> node.equals(d.nodeId())).toList());
            }
        } else {
            contributors = plan.datacenters() == null ? List.of() : List.copyOf(plan.datacenters());
            participating = contributors.contains(datacenter);
            coverage = new long[contributors.size()][];
        }
        for (int i = 0; i < contributors.size(); i++) {
            positions.putIfAbsent(contributors.get(i), i);
        }
        everyone = java.util.stream.IntStream.range(0, contributors.size()).toArray();
    }

    /**
     * A node's pipeline stages' parameter ranges, or null when one of its devices holds a whole replica (then it
     * sends every chunk). A stage without a known range (a plan made without the model's vocabulary) cannot be
     * placed on the grid of chunks: such a plan is refused when the relay meets one.
     */
    private static long[] ranges(List<PlanDevice> nodeDevices) {
        List<long[]> out = new ArrayList<>();
        for (PlanDevice d : nodeDevices) {
            if (!d.staged()) {
                return null;
            }
            if (d.stage().parameterOffset() == null || d.stage().parameterCount() == null) {
                throw new IllegalArgumentException("device " + d.deviceId() + " runs stage " + d.stage().index()
                        + " without a parameter range: the plan was made without the model's vocabulary");
            }
            out.add(new long[] {d.stage().parameterOffset(), d.stage().parameterCount()});
        }
        long[] flat = new long[out.size() * 2];
        for (int i = 0; i < out.size(); i++) {
            flat[2 * i] = out.get(i)[0];
            flat[2 * i + 1] = out.get(i)[1];
        }
        return flat;
    }

    /**
     * The contributors that send {@code chunk}, ascending (the summation order): for pipeline stages the nodes
     * whose stages' parameter ranges meet the chunk's elements, else every contributor.
     */
    int[] membersOf(ChunkView chunk) {
        boolean all = true;
        for (long[] c : coverage) {
            all &= c == null;
        }
        if (all) {
            return everyone;
        }
        long from = chunk.elementOffset();
        long to = from + chunk.elementCount();
        int[] out = new int[coverage.length];
        int n = 0;
        for (int c = 0; c < coverage.length; c++) {
            if (covers(coverage[c], from, to)) {
                out[n++] = c;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private static boolean covers(long[] ranges, long from, long to) {
        if (ranges == null) {
            return true;
        }
        for (int i = 0; i < ranges.length; i += 2) {
            if (ranges[i] < to && from < ranges[i] + ranges[i + 1]) {
                return true;
            }
        }
        return false;
    }
}
