package io.crosstrain.jobapi.domain;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Data-parallel replicas must hold bit-identical weights after every synchronised step. The hashes reported for one
 * step under one plan version are compared among that version's devices as soon as two are in, and again as each
 * further one arrives, so a hash that comes late (after a re-plan, or from a device that died before the others
 * reported) is compared all the same.
 */
public final class ReplicaCheck {

    /** Characters of a hash shown in a divergence reason: enough to tell hashes apart, short enough to read. */
    public static final int PREFIX = 12;

    private ReplicaCheck() {
    }

    /** True when every device in {@code devices} has a hash in {@code hashes}. */
    public static boolean complete(List<String> devices, Map<String, String> hashes) {
        return !devices.isEmpty() && devices.stream().allMatch(d -> hashes.get(d) != null);
    }

    /**
     * True when {@code hashes} hold a comparison: two hashes or more, or the single device of a one-device plan.
     */
    public static boolean compared(List<String> devices, Map<String, String> hashes) {
        return reported(devices, hashes).size() >= 2 || complete(devices, hashes);
    }

    /**
     * @param devices the plan version's devices in rank order
     * @param hashes  device → weights hash reported for {@code step} under that version
     * @return the failure reason, e.g. {@code replicas diverged at step 20 (plan v1): a=1f0c… b=77aa…}, when two of
     *         the version's devices reported different hashes; empty while they agree
     */
    public static Optional<String> divergence(int step, int planVersion, List<String> devices,
                                              Map<String, String> hashes) {
        List<String> reported = reported(devices, hashes);
        if (reported.stream().map(hashes::get).distinct().count() <= 1) {
            return Optional.empty();
        }
        String detail = reported.stream()
                .map(d -> d + "=" + prefix(hashes.get(d)))
                .collect(Collectors.joining(" "));
        return Optional.of("replicas diverged at step " + step + " (plan v" + planVersion + "): " + detail);
    }

    private static List<String> reported(List<String> devices, Map<String, String> hashes) {
        return devices.stream().filter(d -> hashes.get(d) != null).toList();
    }

    static String prefix(String hash) {
        return hash.length() <= PREFIX ? hash : hash.substring(0, PREFIX);
    }
}
