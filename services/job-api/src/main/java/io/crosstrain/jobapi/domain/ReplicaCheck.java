package io.crosstrain.jobapi.domain;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Data-parallel replicas must hold bit-identical weights after every synchronised step. When every device of the
 * plan has reported a weights hash for a step, the hashes are compared.
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
     * @param devices the plan's devices in rank order
     * @param hashes  device → weights hash reported for {@code step}
     * @return the failure reason, e.g. {@code replicas diverged at step 20: a=1f0c… b=77aa…}, when all devices have
     *         reported and the hashes differ; empty while some are missing or when they agree
     */
    public static Optional<String> divergence(int step, List<String> devices, Map<String, String> hashes) {
        if (!complete(devices, hashes)) {
            return Optional.empty();
        }
        long distinct = devices.stream().map(hashes::get).distinct().count();
        if (distinct <= 1) {
            return Optional.empty();
        }
        String detail = devices.stream()
                .map(d -> d + "=" + prefix(hashes.get(d)))
                .collect(Collectors.joining(" "));
        return Optional.of("replicas diverged at step " + step + ": " + detail);
    }

    static String prefix(String hash) {
        return hash.length() <= PREFIX ? hash : hash.substring(0, PREFIX);
    }
}
