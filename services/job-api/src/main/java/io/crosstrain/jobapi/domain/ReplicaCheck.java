package io.crosstrain.jobapi.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.PlanStage;

/**
 * Data-parallel replicas must hold bit-identical weights after every synchronised step. The hashes reported for one
 * step under one plan version are compared among that version's devices as soon as two are in, and again as each
 * further one arrives, so a hash that comes late (after a re-plan, or from a device that died before the others
 * reported) is compared all the same.
 *
 * <p>A device that runs a pipeline stage hashes only its stage's parameter range, so hashes are compared only within a
 * {@link Range group}: the devices of one plan version that hold the same range (same first and last block, both or
 * neither the first stage, both or neither the last). Devices holding a whole replica form the group
 * {@link Range#WHOLE}. Two hashes in a group are enough to catch a divergence; hashes of different groups are never
 * compared with each other.
 */
public final class ReplicaCheck {

    /** Characters of a hash shown in a divergence reason: enough to tell hashes apart, short enough to read. */
    public static final int PREFIX = 12;

    private ReplicaCheck() {
    }

    /**
     * The parameter range a device holds under one plan version: the whole vector, or one stage's block range.
     *
     * @param firstLayer null for {@link #WHOLE}
     * @param lastLayer  null for {@link #WHOLE}
     * @param first      the range includes the embeddings (stage index 0)
     * @param last       the range includes the final norm and the head (the replica's last stage)
     */
    public record Range(Integer firstLayer, Integer lastLayer, boolean first, boolean last)
            implements Comparable<Range> {

        public static final Range WHOLE = new Range(null, null, true, true);

        private static final Comparator<Range> ORDER = Comparator
                .comparing((Range r) -> !r.whole())
                .thenComparing(r -> r.firstLayer == null ? -1 : r.firstLayer)
                .thenComparing(r -> r.lastLayer == null ? -1 : r.lastLayer)
                .thenComparing(r -> !r.first)
                .thenComparing(r -> r.last);

        public static Range of(PlanDevice d) {
            if (!d.staged()) {
                return WHOLE;
            }
            PlanStage s = d.stage();
            return new Range(s.firstLayer(), s.lastLayer(), s.first(), s.last());
        }

        public boolean whole() {
            return firstLayer == null;
        }

        /**
         * {@code whole} or {@code layers 0-2}. The first stage always starts at block 0 and the last ends at the last
         * block, so the blocks name a range; should a plan say otherwise, the label says which ends it holds.
         *
         * @param modelLayers the model's blocks (0 = not known)
         */
        public String label(int modelLayers) {
            if (whole()) {
                return "whole";
            }
            String label = "layers " + firstLayer + "-" + lastLayer;
            boolean odd = first != (firstLayer == 0) || (modelLayers > 0 && last != (lastLayer == modelLayers - 1));
            if (!odd) {
                return label;
            }
            return label + " (" + (first ? "with" : "without") + " embeddings, " + (last ? "with" : "without")
                    + " head)";
        }

        /** How a divergence reason names the group: {@code whole replicas} or {@code stage layers 0-2}. */
        public String describe(int modelLayers) {
            return whole() ? "whole replicas" : "stage " + label(modelLayers);
        }

        @Override
        public int compareTo(Range o) {
            return ORDER.compare(this, o);
        }
    }

    /** The model's blocks, for range labels (0 when the plan names no model). */
    public static int modelLayers(Plan plan) {
        return plan.model() == null ? 0 : plan.model().layers();
    }

    /**
     * The plan's devices grouped by the parameter range they hold: whole replicas first, then stages by block; the
     * devices of a group in rank order.
     */
    public static Map<Range, List<String>> groups(Plan plan) {
        Map<Range, List<String>> groups = new TreeMap<>();
        plan.devices().stream().sorted(Comparator.comparingInt(PlanDevice::rank))
                .forEach(d -> groups.computeIfAbsent(Range.of(d), r -> new ArrayList<>()).add(d.deviceId()));
        return new LinkedHashMap<>(groups);
    }

    /** True when every device in {@code devices} has a hash in {@code hashes}. */
    public static boolean complete(List<String> devices, Map<String, String> hashes) {
        return !devices.isEmpty() && devices.stream().allMatch(d -> hashes.get(d) != null);
    }

    /**
     * True when {@code hashes} hold a comparison: two hashes or more, or the single device of a one-device plan (or
     * group).
     */
    public static boolean compared(List<String> devices, Map<String, String> hashes) {
        return reported(devices, hashes).size() >= 2 || complete(devices, hashes);
    }

    /**
     * Compares the hashes of one step within each of the plan version's groups.
     *
     * @param hashes device → weights hash reported for {@code step} under {@code plan}'s version
     * @return the failure reason of the first group (in {@link #groups} order) whose devices reported different
     *         hashes; a plan of whole replicas only says
     *         {@code replicas diverged at step 20 (plan v1): a=1f0c… b=77aa…}, a pipelined plan names the group: {@code replicas diverged at step 20 (plan v1), stage layers 0-2: …}
     */
    public static Optional<String> divergence(int step, Plan plan, Map<String, String> hashes) {
        Map<Range, List<String>> groups = groups(plan);
        boolean named = !groups.keySet().equals(Set.of(Range.WHOLE));
        for (Map.Entry<Range, List<String>> g : groups.entrySet()) {
            Optional<String> diverged = divergence(step, plan.planVersion(),
                    named ? g.getKey().describe(modelLayers(plan)) : null, g.getValue(), hashes);
            if (diverged.isPresent()) {
                return diverged;
            }
        }
        return Optional.empty();
    }

    /**
     * @param devices the plan version's devices in rank order, all holding the same parameter range
     * @param hashes  device → weights hash reported for {@code step} under that version
     * @return the failure reason, e.g. {@code replicas diverged at step 20 (plan v1): a=1f0c… b=77aa…}, when two of
     *         the devices reported different hashes; empty while they agree
     */
    public static Optional<String> divergence(int step, int planVersion, List<String> devices,
                                              Map<String, String> hashes) {
        return divergence(step, planVersion, null, devices, hashes);
    }

    private static Optional<String> divergence(int step, int planVersion, String group, List<String> devices,
                                               Map<String, String> hashes) {
        List<String> reported = reported(devices, hashes);
        if (reported.stream().map(hashes::get).distinct().count() <= 1) {
            return Optional.empty();
        }
        String detail = reported.stream()
                .map(d -> d + "=" + prefix(hashes.get(d)))
                .collect(Collectors.joining(" "));
        return Optional.of("replicas diverged at step " + step + " (plan v" + planVersion + ")"
                + (group == null ? "" : ", " + group) + ": " + detail);
    }

    private static List<String> reported(List<String> devices, Map<String, String> hashes) {
        return devices.stream().filter(d -> hashes.get(d) != null).toList();
    }

    static String prefix(String hash) {
        return hash.length() <= PREFIX ? hash : hash.substring(0, PREFIX);
    }
}
